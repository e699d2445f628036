#include "kiln/moderation/text_classifier.h"

#include <algorithm>
#include <cmath>

#include "kiln/base/file_util.h"
#include "kiln/base/json_fields.h"
#include "kiln/moderation/policy.h"

namespace kiln {

StatusOr<TextClassifier> TextClassifier::Load(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  StatusOr<TextClassifier> classifier = FromJson(text);
  if (!classifier.ok()) return Status::InvalidArgument(path + ": " + classifier.status().message());
  return classifier;
}

StatusOr<TextClassifier> TextClassifier::FromJson(const std::string& json_text) {
  KILN_ASSIGN_OR_RETURN(nlohmann::json root, JsonFields::ParseObject(json_text, "text heads"));
  JsonFields fields(root, "text heads");
  std::string format;
  int64_t version = 0;
  int64_t dim = 0;
  KILN_RETURN_IF_ERROR(fields.String("format", &format));
  KILN_RETURN_IF_ERROR(fields.Int("version", &version));
  KILN_RETURN_IF_ERROR(fields.Int("dim", &dim));
  if (format != "kiln-text-moderation-heads") {
    return fields.FieldError("format", "must be \"kiln-text-moderation-heads\"");
  }
  if (version != 1) return fields.FieldError("version", "must be 1 (the only version this build reads)");
  if (dim < 1 || dim > 65536) return fields.FieldError("dim", "must be in [1, 65536]");
  auto heads_it = root.find("heads");
  if (heads_it == root.end() || !heads_it->is_array() || heads_it->empty()) {
    return fields.FieldError("heads", "must be a non-empty array");
  }
  TextClassifier out;
  out.dim_ = static_cast<int>(dim);
  const auto& known = ModerationCategories();
  for (size_t i = 0; i < heads_it->size(); ++i) {
    const nlohmann::json& h = (*heads_it)[i];
    std::string context = "text heads: heads[";
    context.append(std::to_string(i)).append("]");
    if (!h.is_object()) return Status::InvalidArgument(context + " must be an object");
    TextHead head;
    auto name = h.find("name");
    if (name == h.end() || !name->is_string()) return Status::InvalidArgument(context + ".name must be a string");
    head.category = name->get<std::string>();
    if (std::find(known.begin(), known.end(), head.category) == known.end() || head.category == kSexualMinors) {
      return Status::InvalidArgument(context + ".name: '" + head.category + "' is not a scored moderation category");
    }
    for (const TextHead& other : out.heads_) {
      if (other.category == head.category) return Status::InvalidArgument(context + ".name: '" + head.category + "' twice");
    }
    auto weight = h.find("weight");
    auto bias = h.find("bias");
    if (weight == h.end() || !weight->is_array() || weight->size() != static_cast<size_t>(dim)) {
      return Status::InvalidArgument(context + ".weight must be an array of dim (" + std::to_string(dim) + ") numbers");
    }
    if (bias == h.end() || !bias->is_number()) return Status::InvalidArgument(context + ".bias must be a number");
    head.bias = bias->get<float>();
    head.weight.reserve(weight->size());
    for (const nlohmann::json& v : *weight) {
      if (!v.is_number()) return Status::InvalidArgument(context + ".weight must hold numbers only");
      head.weight.push_back(v.get<float>());
    }
    const bool finite = std::isfinite(head.bias) &&
                        std::all_of(head.weight.begin(), head.weight.end(), [](float w) { return std::isfinite(w); });
    if (!finite) return Status::InvalidArgument(context + ": weights and bias must be finite");
    out.heads_.push_back(std::move(head));
  }
  return out;
}

void TextClassifier::Score(const float* embedding, float* scores) const {
  for (size_t k = 0; k < heads_.size(); ++k) {
    const TextHead& h = heads_[k];
    // Accumulate in double: 384 terms, and the result feeds fixed thresholds.
    double z = h.bias;
    for (int j = 0; j < dim_; ++j) z += static_cast<double>(h.weight[static_cast<size_t>(j)]) * embedding[j];
    scores[k] = static_cast<float>(1.0 / (1.0 + std::exp(-z)));
  }
}

}  // namespace kiln
