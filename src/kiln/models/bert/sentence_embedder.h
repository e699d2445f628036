// SentenceEmbedder: a sentence-transformers model directory (all-MiniLM-L6-v2
// as scripts/fetch_minilm.sh installs it in models/minilm-l6-v2) as one call:
// texts → WordPiece ids ([CLS] … [SEP], cut to max_seq_length; the real
// tokens of the batch packed end to end, no padding) → BertEncoder → mean pooling over the real tokens
// → L2 normalisation (when modules.json lists a Normalize module) → one
// embedding of hidden_size floats per text, equal within 1e-4 to
// SentenceTransformer.encode on the same directory.
//
// The directory holds config.json (BertConfig), vocab.txt, model.safetensors,
// sentence_bert_config.json (max_seq_length), 1_Pooling/config.json (mean
// tokens only is supported), modules.json and, optionally,
// tokenizer_config.json (do_lower_case must be true: the tokenizer is BERT
// uncased).
//
// Embed is const and uses a caller-owned workspace: one loaded embedder can
// serve several threads, each with its own workspace.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/bert/bert_encoder.h"
#include "kiln/tokenizers/wordpiece_tokenizer.h"

namespace kiln {

// Buffers reused from call to call (grow-only); one per concurrent Embed.
struct SentenceEmbedderWorkspace {
  WordPieceBatch tokens;
  BertWorkspace bert;
  std::vector<float> hidden;       // (total_tokens, hidden_size) packed; (batch, seq_len, hidden_size) padded
  std::vector<int32_t> ids;        // (total_tokens): the real tokens' ids, sentences end to end
  std::vector<int64_t> offsets;    // (batch + 1): sentence b is ids[offsets[b], offsets[b+1])
};

class SentenceEmbedder {
 public:
  // Errors name the file and the field: NotFound for a missing file,
  // InvalidArgument / Unimplemented for a configuration Kiln cannot run.
  static StatusOr<std::unique_ptr<SentenceEmbedder>> Load(const std::string& directory);

  // The embedding width (hidden_size: 384 for MiniLM-L6).
  int64_t dim() const { return encoder_->config().hidden_size; }
  int max_seq_length() const { return max_seq_length_; }
  bool normalize() const { return normalize_; }
  const WordPieceTokenizer& tokenizer() const { return *tokenizer_; }
  const BertEncoder& encoder() const { return *encoder_; }

  //   out (texts.size(), dim()). Texts of any length (cut to max_seq_length
  //   tokens) and any content (invalid UTF-8 bytes are dropped). An empty
  //   texts writes nothing.
  void Embed(ThreadPool& pool, const std::vector<std::string>& texts, float* out,
             SentenceEmbedderWorkspace& ws) const;

  // The same through the padded encoder (every sentence padded to the
  // batch's longest, padding masked in attention): the path Embed took
  // before packing, kept as a reference for tests and minilm_bench.
  void EmbedPadded(ThreadPool& pool, const std::vector<std::string>& texts, float* out,
                   SentenceEmbedderWorkspace& ws) const;

 private:
  SentenceEmbedder() = default;

  std::unique_ptr<WordPieceTokenizer> tokenizer_;
  std::unique_ptr<BertEncoder> encoder_;
  int max_seq_length_ = 256;
  bool normalize_ = false;
};

}  // namespace kiln
