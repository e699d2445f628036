#include "kiln/moderation/concept_head.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "kiln/base/json_fields.h"
#include "kiln/moderation/logistic_regression.h"

namespace kiln {
namespace {

// The L2 penalty on the standardised weights, against a loss whose class-balanced
// sample weights sum to 1. Tens of examples of 1280 features are always linearly
// separable, so the penalty is what keeps the weights finite and the scores
// off 0 and 1. On the triangles test (concept_triangles_test.cc) 1e-3, 1e-2 and
// 1e-1 gave the same cv accuracy (0.875-0.885), 1.0 a worse one (0.81); 1e-2
// was set before that sweep and kept.
constexpr double kL2 = 1e-2;
// A feature that (nearly) never varies over the examples carries no evidence:
// its inv_std is 0 so it cannot swing the score of an image where it does vary.
constexpr double kMinVariance = 1e-12;

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
  });
}

Status InvalidName(const std::string& name) {
  std::string msg = "concept: name '";
  msg.append(name.substr(0, 80)).append("' must be 1 to 64 of a-z, 0-9, '_' and '-'");
  return Status::InvalidArgument(msg);
}

// Reads a required array of kConceptFeatureDim finite numbers.
Status ReadVector(const nlohmann::json& root, JsonFields& fields, const std::string& name, std::vector<float>* out) {
  auto it = root.find(name);
  std::string needs = "must have ";
  needs.append(std::to_string(kConceptFeatureDim)).append(" numbers");
  if (it == root.end()) return fields.FieldError(name, "is required (" + needs + ")");
  if (!it->is_array() || it->size() != static_cast<size_t>(kConceptFeatureDim)) {
    std::string got = needs;
    if (it->is_array()) got.append(" (got ").append(std::to_string(it->size())).append(")");
    return fields.FieldError(name, got);
  }
  out->resize(kConceptFeatureDim);
  for (int i = 0; i < kConceptFeatureDim; ++i) {
    const nlohmann::json& v = (*it)[static_cast<size_t>(i)];
    // Range-checked in double: casting a double beyond FLT_MAX to float is undefined.
    const double d = v.is_number() ? v.get<double>() : NAN;
    if (!(std::abs(d) <= std::numeric_limits<float>::max())) {
      std::string problem = needs;
      problem.append(": item ").append(std::to_string(i)).append(" is not a finite float");
      return fields.FieldError(name, problem);
    }
    (*out)[i] = static_cast<float>(d);
  }
  return Status::Ok();
}

// One head from the examples listed in rows (each kConceptFeatureDim floats).
ConceptHead Fit(const std::string& name, const std::vector<const std::vector<float>*>& rows,
                const std::vector<uint8_t>& positive) {
  const int n = static_cast<int>(rows.size());
  constexpr int d = kConceptFeatureDim;
  int n_pos = 0;
  for (uint8_t p : positive) n_pos += p;
  ConceptHead head;
  head.name = name;
  head.mean.resize(d);
  head.inv_std.resize(d);
  std::vector<double> means(d), vars(d);
  double mean_var = 0;
  for (int k = 0; k < d; ++k) {
    double sum = 0;
    for (const auto* row : rows) sum += (*row)[k];
    means[k] = sum / n;
    double var = 0;
    for (const auto* row : rows) var += ((*row)[k] - means[k]) * ((*row)[k] - means[k]);
    vars[k] = var / n;
    mean_var += vars[k] / d;
  }
  for (int k = 0; k < d; ++k) {
    head.mean[k] = static_cast<float>(means[k]);
    // Shrunk toward the average variance: with tens of examples a feature that
    // happened to barely vary would otherwise be blown up, and an unseen image
    // that differs there would swing the score on noise.
    head.inv_std[k] = vars[k] < kMinVariance ? 0.0f : static_cast<float>(1.0 / std::sqrt(vars[k] + mean_var));
  }
  // Standardised exactly as Score will see them (the float mean and inv_std).
  std::vector<double> x(static_cast<size_t>(n) * d);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < d; ++k) {
      x[static_cast<size_t>(i) * d + k] =
          (static_cast<double>((*rows[i])[k]) - head.mean[k]) * static_cast<double>(head.inv_std[k]);
    }
  }
  // Class-balanced: each class weighs 1/2 in total, so 40 negatives against 8
  // positives do not teach the head to answer "no".
  std::vector<double> c(n);
  for (int i = 0; i < n; ++i) c[i] = 0.5 / (positive[i] ? n_pos : n - n_pos);
  const LogisticFit fit = FitLogisticRegression(x, n, d, positive, c, kL2);
  head.weight.resize(d);
  for (int k = 0; k < d; ++k) head.weight[k] = static_cast<float>(fit.weight[k]);
  head.bias = static_cast<float>(fit.bias);
  return head;
}

Status CheckExamples(const std::vector<std::vector<float>>& examples, const char* label) {
  if (examples.size() < 2) {
    std::string msg = "concept: at least 2 ";
    msg.append(label).append(" are needed (got ").append(std::to_string(examples.size())).append(")");
    return Status::InvalidArgument(msg);
  }
  if (examples.size() > static_cast<size_t>(kMaxConceptExamplesPerClass)) {
    std::string msg = "concept: at most ";
    msg.append(std::to_string(kMaxConceptExamplesPerClass)).append(" ").append(label);
    msg.append(" (got ").append(std::to_string(examples.size())).append(")");
    return Status::InvalidArgument(msg);
  }
  for (size_t i = 0; i < examples.size(); ++i) {
    std::string where = "concept: ";
    where.append(label).append("[").append(std::to_string(i)).append("]");
    if (examples[i].size() != static_cast<size_t>(kConceptFeatureDim)) {
      where.append(" has ").append(std::to_string(examples[i].size())).append(" numbers, not ");
      return Status::InvalidArgument(where.append(std::to_string(kConceptFeatureDim)));
    }
    for (float v : examples[i]) {
      if (!std::isfinite(v)) return Status::InvalidArgument(where.append(" has a non-finite value"));
    }
  }
  return Status::Ok();
}

}  // namespace

float ConceptHead::Score(const float* features) const {
  double z = bias;
  for (size_t k = 0; k < weight.size(); ++k) {
    z += static_cast<double>(weight[k]) * ((static_cast<double>(features[k]) - mean[k]) * inv_std[k]);
  }
  const double p = z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
  return static_cast<float>(p);
}

int ConceptHead::dim() const { return static_cast<int>(weight.size()); }

std::string ConceptHead::ToJson() const {
  nlohmann::json j;
  j["name"] = name;
  j["dim"] = dim();
  j["mean"] = mean;
  j["inv_std"] = inv_std;
  j["weight"] = weight;
  j["bias"] = bias;
  return j.dump();
}

StatusOr<ConceptHead> ConceptHead::FromJson(const std::string& json_text) {
  KILN_ASSIGN_OR_RETURN(nlohmann::json root, JsonFields::ParseObject(json_text, "concept"));
  JsonFields fields(root, "concept");
  ConceptHead head;
  if (!root.contains("name")) return fields.FieldError("name", "is required");
  KILN_RETURN_IF_ERROR(fields.String("name", &head.name));
  if (!ValidName(head.name)) return InvalidName(head.name);
  int64_t dim = kConceptFeatureDim;
  KILN_RETURN_IF_ERROR(fields.Int("dim", &dim));
  if (dim != kConceptFeatureDim) {
    std::string problem = "must be ";
    problem.append(std::to_string(kConceptFeatureDim)).append(", the NSFW classifier's feature size (got ");
    return fields.FieldError("dim", problem.append(std::to_string(dim)).append(")"));
  }
  if (!root.contains("bias")) return fields.FieldError("bias", "is required");
  double bias = 0;
  KILN_RETURN_IF_ERROR(fields.Double("bias", &bias));
  if (!(std::abs(bias) <= std::numeric_limits<float>::max())) return fields.FieldError("bias", "must be a finite float");
  head.bias = static_cast<float>(bias);
  KILN_RETURN_IF_ERROR(ReadVector(root, fields, "mean", &head.mean));
  KILN_RETURN_IF_ERROR(ReadVector(root, fields, "inv_std", &head.inv_std));
  KILN_RETURN_IF_ERROR(ReadVector(root, fields, "weight", &head.weight));
  if (std::any_of(head.inv_std.begin(), head.inv_std.end(), [](float v) { return v < 0; })) {
    return fields.FieldError("inv_std", "must not be negative");
  }
  static const std::set<std::string> kKnown = {"name", "dim", "bias", "mean", "inv_std", "weight"};
  for (const auto& [key, value] : root.items()) {
    if (kKnown.count(key) == 0) return fields.FieldError(key, "is not a known field");
  }
  return head;
}

StatusOr<ConceptHead> TrainConceptHead(const std::string& name, const std::vector<std::vector<float>>& positives,
                                       const std::vector<std::vector<float>>& negatives,
                                       ConceptTrainingReport* report) {
  if (!ValidName(name)) return InvalidName(name);
  KILN_RETURN_IF_ERROR(CheckExamples(positives, "positives"));
  KILN_RETURN_IF_ERROR(CheckExamples(negatives, "negatives"));

  std::vector<const std::vector<float>*> all;
  std::vector<uint8_t> positive;
  for (const auto& v : positives) {
    all.push_back(&v);
    positive.push_back(1);
  }
  for (const auto& v : negatives) {
    all.push_back(&v);
    positive.push_back(0);
  }
  const auto correct = [](const ConceptHead& head, const std::vector<float>& features, bool is_positive) {
    return (head.Score(features.data()) >= 0.5f) == is_positive;
  };

  ConceptHead head = Fit(name, all, positive);
  if (report == nullptr) return head;
  *report = ConceptTrainingReport{};
  report->positives = static_cast<int>(positives.size());
  report->negatives = static_cast<int>(negatives.size());
  int right = 0;
  for (size_t i = 0; i < all.size(); ++i) right += correct(head, *all[i], positive[i]);
  report->train_accuracy = static_cast<double>(right) / all.size();

  // Stratified k-fold: the i-th example of each class goes to fold i mod k, so
  // every fold holds out both classes and keeps at least one of each to train on.
  const int k = static_cast<int>(std::min<size_t>({5, positives.size(), negatives.size()}));
  right = 0;
  for (int fold = 0; fold < k; ++fold) {
    std::vector<const std::vector<float>*> train;
    std::vector<uint8_t> train_positive;
    std::vector<size_t> held_out;
    for (size_t i = 0; i < all.size(); ++i) {
      const size_t index_in_class = positive[i] ? i : i - positives.size();
      if (static_cast<int>(index_in_class % k) == fold) {
        held_out.push_back(i);
      } else {
        train.push_back(all[i]);
        train_positive.push_back(positive[i]);
      }
    }
    const ConceptHead fold_head = Fit(name, train, train_positive);
    for (size_t i : held_out) right += correct(fold_head, *all[i], positive[i]);
  }
  report->cv_accuracy = static_cast<double>(right) / all.size();
  return head;
}

}  // namespace kiln
