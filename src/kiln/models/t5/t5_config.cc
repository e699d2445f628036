#include "kiln/models/t5/t5_config.h"

#include "kiln/base/json_fields.h"

namespace kiln {

StatusOr<T5Config> T5Config::FromJson(const std::string& text) {
  KILN_ASSIGN_OR_RETURN(const nlohmann::json object, JsonFields::ParseObject(text, "t5 config"));
  T5Config c;
  JsonFields fields(object, "t5 config");
  KILN_RETURN_IF_ERROR(fields.Int("vocab_size", &c.vocab_size));
  KILN_RETURN_IF_ERROR(fields.Int("d_model", &c.d_model));
  KILN_RETURN_IF_ERROR(fields.Int("d_kv", &c.d_kv));
  KILN_RETURN_IF_ERROR(fields.Int("d_ff", &c.d_ff));
  KILN_RETURN_IF_ERROR(fields.Int("num_layers", &c.num_layers));
  KILN_RETURN_IF_ERROR(fields.Int("num_heads", &c.num_heads));
  KILN_RETURN_IF_ERROR(fields.Int("relative_attention_num_buckets", &c.relative_attention_num_buckets));
  KILN_RETURN_IF_ERROR(fields.Int("relative_attention_max_distance", &c.relative_attention_max_distance));
  KILN_RETURN_IF_ERROR(fields.Double("layer_norm_epsilon", &c.layer_norm_epsilon));
  std::string feed_forward_proj = "relu";  // HF's default
  KILN_RETURN_IF_ERROR(fields.String("feed_forward_proj", &feed_forward_proj));
  if (feed_forward_proj == "relu") {
    c.feed_forward_proj = T5FeedForwardProj::kRelu;
  } else if (feed_forward_proj == "gated-gelu") {
    c.feed_forward_proj = T5FeedForwardProj::kGatedGelu;
  } else {
    return Status::Unimplemented("t5 config: feed_forward_proj '" + feed_forward_proj +
                                 "' is not supported (relu, gated-gelu)");
  }
  // No RejectUnknown(): an HF config.json carries the decoder's and the
  // trainer's fields too (num_decoder_layers, dropout_rate, …), which the
  // encoder rightly ignores.
  KILN_RETURN_IF_ERROR(c.Validate());
  return c;
}

Status T5Config::Validate() const {
  auto bad = [](const std::string& what) { return Status::InvalidArgument("t5 config: " + what); };
  if (vocab_size <= 0 || d_model <= 0 || d_kv <= 0 || d_ff <= 0 || num_heads <= 0) {
    return bad("vocab_size, d_model, d_kv, d_ff and num_heads must be positive");
  }
  if (num_layers < 1) return bad("num_layers must be at least 1 (block 0 holds the position bias)");
  // Each direction gets num_buckets/2 buckets, half of them exact distances
  // (max_exact = num_buckets/4) and half log-spaced up to max_distance.
  const int64_t max_exact = relative_attention_num_buckets / 4;
  if (max_exact < 1) {
    return bad("relative_attention_num_buckets " + std::to_string(relative_attention_num_buckets) +
               " must be at least 4");
  }
  if (relative_attention_max_distance <= max_exact) {
    return bad("relative_attention_max_distance " + std::to_string(relative_attention_max_distance) +
               " must exceed relative_attention_num_buckets/4 (" + std::to_string(max_exact) + ")");
  }
  if (!(layer_norm_epsilon > 0)) return bad("layer_norm_epsilon must be positive");
  return Status::Ok();
}

}  // namespace kiln
