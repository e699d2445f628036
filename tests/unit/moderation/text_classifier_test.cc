#include "kiln/moderation/text_classifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace kiln {
namespace {

TEST(TextClassifierTest, ScoresAreTheSigmoidOfEachHead) {
  StatusOr<TextClassifier> c = TextClassifier::FromJson(R"({
    "format": "kiln-text-moderation-heads", "version": 1, "dim": 2, "note": "ignored",
    "heads": [{"name": "violence", "weight": [1.0, -2.0], "bias": 0.5},
              {"name": "hate", "weight": [0.0, 4.0], "bias": -1.0, "l2": 0.001}]})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->dim(), 2);
  ASSERT_EQ(c->heads().size(), 2u);
  EXPECT_EQ(c->heads()[1].category, "hate");
  const float embedding[2] = {0.3f, 0.1f};
  float scores[2];
  c->Score(embedding, scores);
  EXPECT_NEAR(scores[0], 1.0 / (1.0 + std::exp(-(0.3 - 0.2 + 0.5))), 1e-6);
  EXPECT_NEAR(scores[1], 1.0 / (1.0 + std::exp(-(0.4 - 1.0))), 1e-6);
}

TEST(TextClassifierTest, RefusesMalformedHeadsNamingTheField) {
  auto expect_error = [](const std::string& json, const std::string& needle) {
    StatusOr<TextClassifier> c = TextClassifier::FromJson(json);
    ASSERT_FALSE(c.ok()) << json;
    EXPECT_NE(c.status().message().find(needle), std::string::npos) << c.status().message();
  };
  const std::string head = R"("heads": [{"name": "violence", "weight": [1, 2], "bias": 0}])";
  expect_error(R"({"format": "other", "version": 1, "dim": 2, )" + head + "}", "format");
  expect_error(R"({"format": "kiln-text-moderation-heads", "version": 2, "dim": 2, )" + head + "}", "version");
  expect_error(R"({"format": "kiln-text-moderation-heads", "version": 1, "dim": 3, )" + head + "}", "weight");
  expect_error(R"({"format": "kiln-text-moderation-heads", "version": 1, "dim": 2, "heads": []})", "heads");
  expect_error(R"({"format": "kiln-text-moderation-heads", "version": 1, "dim": 1,
                   "heads": [{"name": "weather", "weight": [1], "bias": 0}]})", "weather");
  expect_error(R"({"format": "kiln-text-moderation-heads", "version": 1, "dim": 1,
                   "heads": [{"name": "sexual/minors", "weight": [1], "bias": 0}]})", "sexual/minors");
  expect_error(R"({"format": "kiln-text-moderation-heads", "version": 1, "dim": 1,
                   "heads": [{"name": "hate", "weight": [1], "bias": 0}, {"name": "hate", "weight": [1], "bias": 0}]})",
               "twice");
  expect_error(R"({"format": "kiln-text-moderation-heads", "version": 1, "dim": 1,
                   "heads": [{"name": "hate", "weight": ["x"], "bias": 0}]})", "numbers");
  expect_error("not json", "JSON");
}

TEST(TextClassifierTest, TheCommittedHeadsLoad) {
  const std::string path = std::string(KILN_SOURCE_DIR) + "/models/text-moderation-heads/heads.json";
  StatusOr<TextClassifier> c = TextClassifier::Load(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->dim(), 384);
  std::vector<std::string> names;
  for (const TextHead& h : c->heads()) names.push_back(h.category);
  EXPECT_EQ(names, (std::vector<std::string>{"sexual", "violence", "hate", "harassment", "self-harm", "illicit"}));
  // A zero embedding scores sigmoid(bias): a probability, never NaN.
  std::vector<float> zero(384, 0.0f), scores(names.size());
  c->Score(zero.data(), scores.data());
  for (float s : scores) EXPECT_TRUE(s > 0.0f && s < 1.0f) << s;
  EXPECT_FALSE(TextClassifier::Load(path + ".missing").ok());
}

}  // namespace
}  // namespace kiln
