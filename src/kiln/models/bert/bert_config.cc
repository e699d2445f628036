#include "kiln/models/bert/bert_config.h"

#include "kiln/base/json_fields.h"

namespace kiln {

StatusOr<BertConfig> BertConfig::FromJson(const std::string& text) {
  KILN_ASSIGN_OR_RETURN(const nlohmann::json object, JsonFields::ParseObject(text, "bert config"));
  BertConfig c;
  JsonFields fields(object, "bert config");
  KILN_RETURN_IF_ERROR(fields.Int("vocab_size", &c.vocab_size));
  KILN_RETURN_IF_ERROR(fields.Int("hidden_size", &c.hidden_size));
  KILN_RETURN_IF_ERROR(fields.Int("num_hidden_layers", &c.num_hidden_layers));
  KILN_RETURN_IF_ERROR(fields.Int("num_attention_heads", &c.num_attention_heads));
  KILN_RETURN_IF_ERROR(fields.Int("intermediate_size", &c.intermediate_size));
  KILN_RETURN_IF_ERROR(fields.Int("max_position_embeddings", &c.max_position_embeddings));
  KILN_RETURN_IF_ERROR(fields.Int("type_vocab_size", &c.type_vocab_size));
  KILN_RETURN_IF_ERROR(fields.Int("pad_token_id", &c.pad_token_id));
  KILN_RETURN_IF_ERROR(fields.Double("layer_norm_eps", &c.layer_norm_eps));
  std::string hidden_act = "gelu";  // HF's default
  KILN_RETURN_IF_ERROR(fields.String("hidden_act", &hidden_act));
  if (hidden_act == "gelu") {
    c.hidden_act = BertActivation::kGeluErf;
  } else if (hidden_act == "gelu_new" || hidden_act == "gelu_pytorch_tanh") {
    c.hidden_act = BertActivation::kGeluTanh;
  } else {
    std::string message = "bert config: hidden_act '";
    message.append(hidden_act).append("' is not supported (gelu, gelu_new, gelu_pytorch_tanh)");
    return Status::Unimplemented(message);
  }
  std::string position_embedding_type = "absolute";
  KILN_RETURN_IF_ERROR(fields.String("position_embedding_type", &position_embedding_type));
  if (position_embedding_type != "absolute") {
    std::string message = "bert config: position_embedding_type '";
    message.append(position_embedding_type).append("' is not supported (absolute)");
    return Status::Unimplemented(message);
  }
  // No RejectUnknown(): an HF config.json carries the trainer's fields too
  // (dropout, initializer_range, architectures, …), which inference ignores.
  KILN_RETURN_IF_ERROR(c.Validate());
  return c;
}

Status BertConfig::Validate() const {
  auto bad = [](const std::string& what) {
    std::string message = "bert config: ";
    message.append(what);
    return Status::InvalidArgument(message);
  };
  if (vocab_size <= 0 || hidden_size <= 0 || num_attention_heads <= 0 || intermediate_size <= 0 ||
      max_position_embeddings <= 0 || type_vocab_size <= 0) {
    return bad("vocab_size, hidden_size, num_attention_heads, intermediate_size, max_position_embeddings "
               "and type_vocab_size must be positive");
  }
  if (num_hidden_layers < 0) return bad("num_hidden_layers must not be negative");
  if (hidden_size % num_attention_heads != 0) {
    std::string what = "hidden_size ";
    what.append(std::to_string(hidden_size)).append(" is not a multiple of num_attention_heads ");
    what.append(std::to_string(num_attention_heads));
    return bad(what);
  }
  if (!(layer_norm_eps > 0)) return bad("layer_norm_eps must be positive");
  return Status::Ok();
}

}  // namespace kiln
