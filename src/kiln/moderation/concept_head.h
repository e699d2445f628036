// ConceptHead: a tenant's own image concept ("no triangles", "no logos") as
// a logistic-regression head on the NSFW classifier's 1280-d pooled features
// (nsfw_classifier.h), trained from the tenant's labelled example images
// through the admin API. Its signal's category is "concept/<name>", which a
// policy gives thresholds like any other category.
#pragma once

#include <string>
#include <vector>

#include "kiln/base/status.h"

namespace kiln {

// The NSFW classifier's pooled feature size: every head has this dimension.
inline constexpr int kConceptFeatureDim = 1280;
// Per class: training cost grows as the cube of the examples (concept_head.cc).
inline constexpr int kMaxConceptExamplesPerClass = 256;

struct ConceptTrainingReport {
  int positives = 0;
  int negatives = 0;
  double train_accuracy = 0;
  double cv_accuracy = 0;  // k-fold cross-validated, on the examples given
};

struct ConceptHead {
  std::string name;  // [a-z0-9_-]{1,64}
  // Probability in [0, 1] that the image shows the concept. REQUIRES: features has dim() floats.
  float Score(const float* features) const;
  int dim() const;

  std::string ToJson() const;
  // Errors name the field; a head of the wrong dimension is refused.
  static StatusOr<ConceptHead> FromJson(const std::string& json_text);

  // Whatever Score needs (standardisation, weights, bias); see concept_head.cc.
  std::vector<float> mean, inv_std, weight;
  float bias = 0;
};

// Trains a head from feature vectors (each 1280 floats). InvalidArgument
// naming the problem when the name is malformed, a class has fewer than 2
// examples (or more than kMaxConceptExamplesPerClass), or a vector has the
// wrong size or a non-finite value. report may be null.
StatusOr<ConceptHead> TrainConceptHead(const std::string& name, const std::vector<std::vector<float>>& positives,
                                       const std::vector<std::vector<float>>& negatives,
                                       ConceptTrainingReport* report);

}  // namespace kiln
