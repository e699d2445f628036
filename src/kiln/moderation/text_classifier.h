// TextClassifier: Kiln's text-moderation heads, one logistic regression per
// category on a MiniLM-L6 sentence embedding (384 floats, L2-normalised, as
// SentenceEmbedder gives them). Each head's output is a calibrated
// probability in [0, 1] that the prompt asks for content of its category, so
// a policy's flag/review/block thresholds apply to it directly.
//
// The heads are data: models/text-moderation-heads/heads.json, trained by
// research/moderation/train_text_heads.py (its README says on what). Format:
//
//   {"format": "kiln-text-moderation-heads", "version": 1, "dim": 384,
//    "heads": [{"name": "sexual", "weight": [384 floats], "bias": b, ...}, ...]}
//
// Fields other than these (training notes) are ignored. A loaded classifier
// is immutable: Score is const and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "kiln/base/status.h"

namespace kiln {

struct TextHead {
  std::string category;  // one of ModerationCategories() (policy.h)
  std::vector<float> weight;  // dim() floats
  float bias = 0;
};

class TextClassifier {
 public:
  // Errors name the file (Load) and the field: an unknown format or version,
  // a head whose category is not a moderation category or is listed twice,
  // a weight of the wrong length, a non-finite number.
  static StatusOr<TextClassifier> Load(const std::string& path);
  static StatusOr<TextClassifier> FromJson(const std::string& json_text);

  int dim() const { return dim_; }
  const std::vector<TextHead>& heads() const { return heads_; }

  // scores[k] = sigmoid(heads()[k].weight · embedding + heads()[k].bias).
  // REQUIRES: embedding has dim() floats, scores has heads().size().
  void Score(const float* embedding, float* scores) const;

 private:
  int dim_ = 0;
  std::vector<TextHead> heads_;
};

}  // namespace kiln
