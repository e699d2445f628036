#include "kiln/moderation/concept_head.h"

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kiln {
namespace {

constexpr int kDim = kConceptFeatureDim;

// Deterministic standard normals (xorshift + Box–Muller): the same on every
// standard library, unlike std::normal_distribution.
class Normals {
 public:
  explicit Normals(uint64_t seed) : state_(seed * 2654435761u + 1) {}
  double Next() {
    const double u1 = (static_cast<double>(Bits() >> 11) + 0.5) / 9007199254740992.0;
    const double u2 = (static_cast<double>(Bits() >> 11) + 0.5) / 9007199254740992.0;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t Bits() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  uint64_t state_;
};

// count vectors shaped like pooled ReLU6 features (positive, about 0-3), each
// shifted by `shift` along the first 40 features.
std::vector<std::vector<float>> Examples(Normals& rng, int count, double shift) {
  std::vector<std::vector<float>> out(count, std::vector<float>(kDim));
  for (auto& v : out) {
    for (int k = 0; k < kDim; ++k) {
      v[k] = static_cast<float>(std::abs(1.0 + 0.5 * rng.Next() + (k < 40 ? shift : 0.0)));
    }
  }
  return out;
}

void ExpectInvalid(const StatusOr<ConceptHead>& head, const std::string& needle) {
  ASSERT_FALSE(head.ok()) << "expected an error containing '" << needle << "'";
  EXPECT_EQ(head.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(head.status().message().find(needle), std::string::npos) << head.status().message();
}

TEST(ConceptHeadTest, SeparableDataReachesFullAccuracy) {
  Normals rng(1);
  const auto pos = Examples(rng, 12, 1.0), neg = Examples(rng, 12, 0.0);
  ConceptTrainingReport report;
  StatusOr<ConceptHead> head = TrainConceptHead("shifted", pos, neg, &report);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->dim(), kDim);
  EXPECT_EQ(report.positives, 12);
  EXPECT_EQ(report.negatives, 12);
  EXPECT_EQ(report.train_accuracy, 1.0);
  EXPECT_EQ(report.cv_accuracy, 1.0);
  // Unseen examples from the same two distributions.
  const auto test_pos = Examples(rng, 20, 1.0), test_neg = Examples(rng, 20, 0.0);
  for (const auto& v : test_pos) EXPECT_GT(head->Score(v.data()), 0.5f);
  for (const auto& v : test_neg) EXPECT_LT(head->Score(v.data()), 0.5f);
}

TEST(ConceptHeadTest, RandomLabelsGiveChanceCrossValidation) {
  // 1280 features always separate 40 examples, so training accuracy says nothing;
  // the cross-validated figure must expose labels that carry no signal.
  Normals rng(2);
  const auto pos = Examples(rng, 20, 0.0), neg = Examples(rng, 20, 0.0);
  ConceptTrainingReport report;
  ASSERT_TRUE(TrainConceptHead("noise", pos, neg, &report).ok());
  EXPECT_EQ(report.train_accuracy, 1.0);
  EXPECT_LT(report.cv_accuracy, 0.75);
}

TEST(ConceptHeadTest, ClassesWeighTheSame) {
  // With the bias unregularised, the optimum of the class-balanced loss has
  // mean over positives of (1 − score) = mean over negatives of score: each class
  // leaves the same average error, however few positives there are. Unweighted,
  // it would be 3 × the first = 40 × the second.
  Normals rng(3);
  const auto pos = Examples(rng, 3, 0.3), neg = Examples(rng, 40, 0.0);
  StatusOr<ConceptHead> head = TrainConceptHead("few", pos, neg, nullptr);
  ASSERT_TRUE(head.ok());
  double pos_error = 0, neg_error = 0;
  for (const auto& v : pos) pos_error += (1.0 - head->Score(v.data())) / pos.size();
  for (const auto& v : neg) neg_error += head->Score(v.data()) / neg.size();
  EXPECT_GT(neg_error, 1e-4);  // not saturated, so the check below has teeth
  EXPECT_NEAR(pos_error, neg_error, 1e-3 * neg_error + 1e-6);
}

TEST(ConceptHeadTest, TrainingIsDeterministic) {
  Normals rng(4);
  const auto pos = Examples(rng, 7, 0.5), neg = Examples(rng, 9, 0.0);
  ConceptTrainingReport a, b;
  StatusOr<ConceptHead> first = TrainConceptHead("same", pos, neg, &a);
  StatusOr<ConceptHead> second = TrainConceptHead("same", pos, neg, &b);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->ToJson(), second->ToJson());
  EXPECT_EQ(a.cv_accuracy, b.cv_accuracy);
  EXPECT_EQ(a.train_accuracy, b.train_accuracy);
  // The report is optional and does not change the head.
  StatusOr<ConceptHead> third = TrainConceptHead("same", pos, neg, nullptr);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(first->ToJson(), third->ToJson());
}

TEST(ConceptHeadTest, ScoreIsTheSigmoidOfTheStandardisedDotProduct) {
  ConceptHead head;
  head.name = "hand";
  head.mean.assign(kDim, 1.0f);
  head.inv_std.assign(kDim, 0.5f);
  head.weight.assign(kDim, 0.0f);
  head.weight[3] = 2.0f;
  head.weight[7] = -1.0f;
  head.bias = -0.25f;
  std::vector<float> x(kDim, 1.0f);
  x[3] = 3.0f;  // standardised 1.0
  x[7] = 2.0f;  // standardised 0.5
  EXPECT_NEAR(head.Score(x.data()), 1.0 / (1.0 + std::exp(-(2.0 - 0.5 - 0.25))), 1e-6);
  x[3] = -1e6f;  // saturates without NaN
  EXPECT_EQ(head.Score(x.data()), 0.0f);
}

TEST(ConceptHeadTest, RefusesBadExamples) {
  Normals rng(5);
  const auto two = Examples(rng, 2, 0.0);
  const auto one = Examples(rng, 1, 0.0);
  ExpectInvalid(TrainConceptHead("x", one, two, nullptr), "at least 2 positives");
  ExpectInvalid(TrainConceptHead("x", two, {}, nullptr), "at least 2 negatives");
  auto short_one = two;
  short_one[1].resize(kDim - 1);
  ExpectInvalid(TrainConceptHead("x", two, short_one, nullptr), "negatives[1] has 1279 numbers, not 1280");
  auto nan = two;
  nan[0][5] = NAN;
  ExpectInvalid(TrainConceptHead("x", nan, two, nullptr), "positives[0] has a non-finite value");
  auto inf = two;
  inf[1][0] = INFINITY;
  ExpectInvalid(TrainConceptHead("x", two, inf, nullptr), "negatives[1] has a non-finite value");
  const auto many = Examples(rng, kMaxConceptExamplesPerClass + 1, 0.0);
  ExpectInvalid(TrainConceptHead("x", many, two, nullptr), "at most 256 positives");
}

TEST(ConceptHeadTest, ValidatesTheName) {
  Normals rng(6);
  const auto pos = Examples(rng, 2, 1.0), neg = Examples(rng, 2, 0.0);
  for (const std::string& bad : std::vector<std::string>{"", "Triangles", "no logos", "triangles/2", "ü", std::string(65, 'a')}) {
    ExpectInvalid(TrainConceptHead(bad, pos, neg, nullptr), "concept: name");
  }
  for (const std::string& good : std::vector<std::string>{"triangles", "no-logos_2", std::string(64, 'z'), "0"}) {
    EXPECT_TRUE(TrainConceptHead(good, pos, neg, nullptr).ok()) << good;
  }
}

TEST(ConceptHeadTest, TwoExamplesPerClassTrain) {
  // The smallest allowed set: 2-fold cross-validation trains on one of each.
  Normals rng(7);
  ConceptTrainingReport report;
  ASSERT_TRUE(TrainConceptHead("tiny", Examples(rng, 2, 2.0), Examples(rng, 2, 0.0), &report).ok());
  EXPECT_EQ(report.train_accuracy, 1.0);
  EXPECT_EQ(report.cv_accuracy, 1.0);
}

TEST(ConceptHeadTest, JsonRoundTripKeepsEveryBit) {
  Normals rng(8);
  StatusOr<ConceptHead> head = TrainConceptHead("round_trip", Examples(rng, 5, 0.7), Examples(rng, 6, 0.0), nullptr);
  ASSERT_TRUE(head.ok());
  const std::string json = head->ToJson();
  StatusOr<ConceptHead> back = ConceptHead::FromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->name, "round_trip");
  EXPECT_EQ(back->mean, head->mean);
  EXPECT_EQ(back->inv_std, head->inv_std);
  EXPECT_EQ(back->weight, head->weight);
  EXPECT_EQ(back->bias, head->bias);
  EXPECT_EQ(back->ToJson(), json);
  const auto probe = Examples(rng, 3, 0.3);
  for (const auto& v : probe) EXPECT_EQ(back->Score(v.data()), head->Score(v.data()));
}

TEST(ConceptHeadTest, MalformedJsonNamesTheField) {
  Normals rng(9);
  StatusOr<ConceptHead> head = TrainConceptHead("good", Examples(rng, 2, 1.0), Examples(rng, 2, 0.0), nullptr);
  ASSERT_TRUE(head.ok());
  const nlohmann::json good = nlohmann::json::parse(head->ToJson());
  const auto expect_error = [&](const std::function<void(nlohmann::json&)>& edit, const std::string& needle) {
    nlohmann::json j = good;
    edit(j);
    ExpectInvalid(ConceptHead::FromJson(j.dump()), needle);
  };
  ExpectInvalid(ConceptHead::FromJson("not json"), "concept: not valid JSON");
  ExpectInvalid(ConceptHead::FromJson("[1, 2]"), "concept: must be a JSON object");
  expect_error([](nlohmann::json& j) { j.erase("weight"); }, "field 'weight' is required");
  expect_error([](nlohmann::json& j) { j["weight"].erase(0); }, "field 'weight' must have 1280 numbers (got 1279)");
  expect_error([](nlohmann::json& j) { j["weight"] = "heavy"; }, "field 'weight' must have 1280 numbers");
  expect_error([](nlohmann::json& j) { j["mean"][17] = "x"; }, "field 'mean' must have 1280 numbers: item 17");
  expect_error([](nlohmann::json& j) { j["inv_std"][3] = 1e300; }, "field 'inv_std'");
  expect_error([](nlohmann::json& j) { j["inv_std"][3] = -1.0; }, "field 'inv_std' must not be negative");
  expect_error([](nlohmann::json& j) { j["dim"] = 512; }, "field 'dim' must be 1280");
  expect_error([](nlohmann::json& j) { j["dim"] = "1280"; }, "field 'dim' must be an integer");
  expect_error([](nlohmann::json& j) { j["bias"] = "low"; }, "field 'bias' must be a number");
  expect_error([](nlohmann::json& j) { j["bias"] = -1e300; }, "field 'bias' must be a finite float");
  expect_error([](nlohmann::json& j) { j.erase("bias"); }, "field 'bias' is required");
  expect_error([](nlohmann::json& j) { j.erase("name"); }, "field 'name' is required");
  expect_error([](nlohmann::json& j) { j["name"] = "No Triangles"; }, "concept: name 'No Triangles'");
  expect_error([](nlohmann::json& j) { j["name"] = 7; }, "field 'name' must be a string");
  expect_error([](nlohmann::json& j) { j["colour"] = "red"; }, "field 'colour' is not a known field");
  // A head of another model's dimension is refused even when it says so consistently.
  nlohmann::json small = good;
  small["dim"] = 4;
  for (const char* field : {"mean", "inv_std", "weight"}) small[field] = std::vector<float>(4, 1.0f);
  ExpectInvalid(ConceptHead::FromJson(small.dump()), "field 'dim' must be 1280");
  small.erase("dim");
  ExpectInvalid(ConceptHead::FromJson(small.dump()), "must have 1280 numbers (got 4)");
}

}  // namespace
}  // namespace kiln
