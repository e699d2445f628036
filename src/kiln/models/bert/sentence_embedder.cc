#include "kiln/models/bert/sentence_embedder.h"

#include <filesystem>
#include <string_view>

#include "kiln/base/file_util.h"
#include "kiln/base/json_fields.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/workspace_buffer.h"

namespace kiln {
namespace {

std::string PathIn(const std::string& directory, std::string_view name) {
  std::string path = directory;
  path.append("/").append(name);
  return path;
}

StatusOr<nlohmann::json> ReadJsonObject(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path));
  return JsonFields::ParseObject(text, path);
}

Status Unsupported(const std::string& path, std::string_view what) {
  std::string message = path;
  message.append(": ").append(what);
  return Status::Unimplemented(message);
}

}  // namespace

StatusOr<std::unique_ptr<SentenceEmbedder>> SentenceEmbedder::Load(const std::string& directory) {
  std::unique_ptr<SentenceEmbedder> embedder(new SentenceEmbedder());

  const std::string config_path = PathIn(directory, "config.json");
  KILN_ASSIGN_OR_RETURN(const std::string config_text, ReadFileToString(config_path));
  StatusOr<BertConfig> config = BertConfig::FromJson(config_text);
  if (!config.ok()) {
    std::string message = config_path;
    message.append(": ").append(config.status().message());
    return Status(config.status().code(), message);
  }

  {
    const std::string path = PathIn(directory, "sentence_bert_config.json");
    KILN_ASSIGN_OR_RETURN(const nlohmann::json object, ReadJsonObject(path));
    JsonFields fields(object, path);
    int64_t max_seq_length = embedder->max_seq_length_;
    KILN_RETURN_IF_ERROR(fields.Int("max_seq_length", &max_seq_length));
    if (max_seq_length < 2 || max_seq_length > config->max_position_embeddings) {
      std::string what = "must be in [2, max_position_embeddings], not ";
      what.append(std::to_string(max_seq_length));
      return fields.FieldError("max_seq_length", what);
    }
    embedder->max_seq_length_ = static_cast<int>(max_seq_length);
  }
  {
    const std::string path = PathIn(directory, "1_Pooling/config.json");
    KILN_ASSIGN_OR_RETURN(const nlohmann::json object, ReadJsonObject(path));
    JsonFields fields(object, path);
    bool mean = false, cls = false, max = false, mean_sqrt = false;
    KILN_RETURN_IF_ERROR(fields.Bool("pooling_mode_mean_tokens", &mean));
    KILN_RETURN_IF_ERROR(fields.Bool("pooling_mode_cls_token", &cls));
    KILN_RETURN_IF_ERROR(fields.Bool("pooling_mode_max_tokens", &max));
    KILN_RETURN_IF_ERROR(fields.Bool("pooling_mode_mean_sqrt_len_tokens", &mean_sqrt));
    if (!mean || cls || max || mean_sqrt) return Unsupported(path, "only mean-token pooling is supported");
  }
  {
    // modules.json is a list: Transformer, Pooling, and Normalize when the
    // embeddings are unit length.
    const std::string path = PathIn(directory, "modules.json");
    KILN_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path));
    const nlohmann::json modules = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!modules.is_array()) return Status::InvalidArgument(path + ": not a JSON list of modules");
    for (const nlohmann::json& module : modules) {
      if (module.is_object() && module.contains("type") && module["type"].is_string()) {
        const std::string type = module["type"].get<std::string>();
        if (type == "sentence_transformers.models.Normalize") embedder->normalize_ = true;
      }
    }
  }
  {
    const std::string path = PathIn(directory, "tokenizer_config.json");
    if (std::filesystem::exists(path)) {
      KILN_ASSIGN_OR_RETURN(const nlohmann::json object, ReadJsonObject(path));
      const auto it = object.find("do_lower_case");
      if (it != object.end() && it->is_boolean() && !it->get<bool>()) {
        return Unsupported(path, "do_lower_case false (a cased BERT) is not supported");
      }
    }
  }

  KILN_ASSIGN_OR_RETURN(embedder->tokenizer_, WordPieceTokenizer::Load(PathIn(directory, "vocab.txt")));
  if (embedder->tokenizer_->vocab_size() != config->vocab_size) {
    std::string message = PathIn(directory, "vocab.txt");
    message.append(": ").append(std::to_string(embedder->tokenizer_->vocab_size()));
    message.append(" tokens, config.json says vocab_size ").append(std::to_string(config->vocab_size));
    return Status::InvalidArgument(message);
  }
  KILN_ASSIGN_OR_RETURN(const std::unique_ptr<SafetensorsFile> weights,
                        SafetensorsFile::Open(PathIn(directory, "model.safetensors")));
  KILN_ASSIGN_OR_RETURN(embedder->encoder_, BertEncoder::Load(*weights, *config));
  return embedder;
}

void SentenceEmbedder::Embed(ThreadPool& pool, const std::vector<std::string>& texts, float* out,
                             SentenceEmbedderWorkspace& ws) const {
  if (texts.empty()) return;
  tokenizer_->EncodeBatch(texts, max_seq_length_, &ws.tokens);
  const int64_t batch = ws.tokens.batch, seq_len = ws.tokens.seq_len;
  // Pack the real tokens: the tokenizer pads at the end of each row, so row
  // b's real tokens are its first Σ mask ids.
  ws.offsets.resize(static_cast<size_t>(batch) + 1);
  ws.ids.clear();
  ws.offsets[0] = 0;
  for (int64_t b = 0; b < batch; ++b) {
    const int32_t* ids = ws.tokens.input_ids.data() + b * seq_len;
    const int32_t* mask = ws.tokens.attention_mask.data() + b * seq_len;
    int64_t len = 0;
    while (len < seq_len && mask[len] != 0) ++len;
    ws.ids.insert(ws.ids.end(), ids, ids + len);
    ws.offsets[b + 1] = ws.offsets[b] + len;
  }
  EnsureFloats(ws.hidden, ws.offsets[batch] * dim());
  // Ids are in [0, vocab_size) (checked at load); each sentence is at most
  // max_seq_length <= max_position_embeddings long.
  encoder_->ForwardPacked(pool, ws.ids.data(), nullptr, ws.offsets.data(), batch, ws.hidden.data(), ws.bert);
  MeanPoolPacked(ws.hidden.data(), ws.offsets.data(), batch, dim(), normalize_, out);
}

void SentenceEmbedder::EmbedPadded(ThreadPool& pool, const std::vector<std::string>& texts, float* out,
                                   SentenceEmbedderWorkspace& ws) const {
  if (texts.empty()) return;
  tokenizer_->EncodeBatch(texts, max_seq_length_, &ws.tokens);
  const int64_t batch = ws.tokens.batch, seq_len = ws.tokens.seq_len;
  EnsureFloats(ws.hidden, batch * seq_len * dim());
  // Tokenizer ids are in [0, vocab_size) (checked at load), seq_len <=
  // max_seq_length <= max_position_embeddings: the inputs are valid.
  encoder_->Forward(pool, ws.tokens.input_ids.data(), nullptr, ws.tokens.attention_mask.data(), batch, seq_len,
                    ws.hidden.data(), ws.bert);
  MeanPool(ws.hidden.data(), ws.tokens.attention_mask.data(), batch, seq_len, dim(), normalize_, out);
}

}  // namespace kiln
