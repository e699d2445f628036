#include "kiln/models/t5/t5_config.h"

#include <nlohmann/json.hpp>

namespace kiln {
namespace {
using nlohmann::json;

Status FieldError(const std::string& field, const std::string& problem) {
  return Status::InvalidArgument("t5 config: field '" + field + "' " + problem);
}

Status ReadInt(const json& object, const std::string& field, int64_t* out) {
  const auto it = object.find(field);
  if (it == object.end()) return Status::Ok();
  // HF types these int; 512.0 or true is a broken config, not a size.
  if (!it->is_number_integer()) return FieldError(field, "must be an integer");
  *out = it->get<int64_t>();
  return Status::Ok();
}

Status ReadDouble(const json& object, const std::string& field, double* out) {
  const auto it = object.find(field);
  if (it == object.end()) return Status::Ok();
  if (!it->is_number()) return FieldError(field, "must be a number");
  *out = it->get<double>();
  return Status::Ok();
}

Status ReadFeedForwardProj(const json& object, T5FeedForwardProj* out) {
  const auto it = object.find("feed_forward_proj");
  if (it == object.end()) return Status::Ok();
  if (!it->is_string()) return FieldError("feed_forward_proj", "must be a string");
  const std::string value = it->get<std::string>();
  if (value == "relu") {
    *out = T5FeedForwardProj::kRelu;
  } else if (value == "gated-gelu") {
    *out = T5FeedForwardProj::kGatedGelu;
  } else {
    return Status::Unimplemented("t5 config: feed_forward_proj '" + value +
                                 "' is not supported (relu, gated-gelu)");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<T5Config> T5Config::FromJson(const std::string& text) {
  const json object = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) return Status::InvalidArgument("t5 config: not valid JSON");
  if (!object.is_object()) return Status::InvalidArgument("t5 config: must be a JSON object");
  T5Config c;
  KILN_RETURN_IF_ERROR(ReadInt(object, "vocab_size", &c.vocab_size));
  KILN_RETURN_IF_ERROR(ReadInt(object, "d_model", &c.d_model));
  KILN_RETURN_IF_ERROR(ReadInt(object, "d_kv", &c.d_kv));
  KILN_RETURN_IF_ERROR(ReadInt(object, "d_ff", &c.d_ff));
  KILN_RETURN_IF_ERROR(ReadInt(object, "num_layers", &c.num_layers));
  KILN_RETURN_IF_ERROR(ReadInt(object, "num_heads", &c.num_heads));
  KILN_RETURN_IF_ERROR(ReadInt(object, "relative_attention_num_buckets", &c.relative_attention_num_buckets));
  KILN_RETURN_IF_ERROR(ReadInt(object, "relative_attention_max_distance", &c.relative_attention_max_distance));
  KILN_RETURN_IF_ERROR(ReadDouble(object, "layer_norm_epsilon", &c.layer_norm_epsilon));
  KILN_RETURN_IF_ERROR(ReadFeedForwardProj(object, &c.feed_forward_proj));
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
