#include "kiln/moderation/image_checker.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "kiln/models/mobilenet_v2/nsfw_classifier.h"
#include "kiln/pipeline/png_reader.h"

namespace kiln {
namespace {

const std::string kNsfwDir = std::string(KILN_SOURCE_DIR) + "/models/nsfw-mobilenet-v2";
const std::string kImage = std::string(KILN_SOURCE_DIR) + "/tests/data/concept_triangles/train_00_triangle.png";

TEST(NsfwSexualScoreTest, MapsTheFiveClasses) {
  // Drawing, Hentai, Neutral, Porn, Sexy
  const float neutral[5] = {0, 0, 1, 0, 0}, drawing[5] = {1, 0, 0, 0, 0};
  const float porn[5] = {0, 0, 0, 1, 0}, hentai[5] = {0, 1, 0, 0, 0}, sexy[5] = {0, 0, 0, 0, 1};
  const float mixed[5] = {0.1f, 0.1f, 0.2f, 0.3f, 0.3f};
  EXPECT_EQ(NsfwSexualScore(neutral), 0.0);
  EXPECT_EQ(NsfwSexualScore(drawing), 0.0);
  EXPECT_EQ(NsfwSexualScore(porn), 1.0);
  EXPECT_EQ(NsfwSexualScore(hentai), 1.0);
  EXPECT_EQ(NsfwSexualScore(sexy), 0.5);
  EXPECT_NEAR(NsfwSexualScore(mixed), 0.1 + 0.3 + 0.15, 1e-6);
  const float over[5] = {0, 0.6f, 0, 0.6f, 0};  // not a softmax, still a score in [0, 1]
  EXPECT_EQ(NsfwSexualScore(over), 1.0);
}

class ImageCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto checker = ImageChecker::Load(kNsfwDir);
    ASSERT_TRUE(checker.ok()) << checker.status().ToString();
    checker_ = std::move(checker).value();
    auto image = ReadPng(kImage);
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    image_ = std::move(image).value();
  }

  // A head that scores sigmoid(feature[index] − mean[index]) (inv_std 1).
  static ConceptHead OneFeatureHead(const std::string& name, int index) {
    ConceptHead head;
    head.name = name;
    head.mean.assign(kConceptFeatureDim, 0.0f);
    head.inv_std.assign(kConceptFeatureDim, 1.0f);
    head.weight.assign(kConceptFeatureDim, 0.0f);
    head.weight[index] = 1.0f;
    return head;
  }

  std::unique_ptr<ImageChecker> checker_;
  RgbImage image_;
  ThreadPool pool_{2};
};

TEST_F(ImageCheckerTest, EmitsTheSexualSignalAndOnePerConcept) {
  const ConceptHead a = OneFeatureHead("first", 0), b = OneFeatureHead("second-one", 100);
  std::vector<ModerationSignal> signals;
  std::vector<float> features;
  ASSERT_TRUE(checker_->Check(pool_, image_.pixels.data(), image_.width, image_.height, {&a, &b}, &signals, &features)
                  .ok());
  ASSERT_EQ(features.size(), static_cast<size_t>(kConceptFeatureDim));
  ASSERT_EQ(signals.size(), 3u);

  // The same image through the classifier alone: the signal is its mapping.
  auto classifier = NsfwClassifier::Load(kNsfwDir);
  ASSERT_TRUE(classifier.ok());
  NsfwResult direct;
  ASSERT_TRUE((*classifier)->Classify(pool_, image_.pixels.data(), image_.width, image_.height, &direct).ok());
  EXPECT_EQ(features, direct.features);
  EXPECT_EQ(signals[0].category, "sexual");
  EXPECT_EQ(signals[0].source, "nsfw_image");
  EXPECT_DOUBLE_EQ(signals[0].score, NsfwSexualScore(direct.probs));
  EXPECT_LT(signals[0].score, 0.2);  // a triangle on a background is not sexual
  EXPECT_NE(signals[0].detail.find("porn"), std::string::npos) << signals[0].detail;

  EXPECT_EQ(signals[1].category, "concept/first");
  EXPECT_EQ(signals[1].source, "concept");
  EXPECT_EQ(signals[1].detail, "concept head first");
  EXPECT_NEAR(signals[1].score, 1.0 / (1.0 + std::exp(-static_cast<double>(features[0]))), 1e-6);
  EXPECT_EQ(signals[2].category, "concept/second-one");
  EXPECT_NEAR(signals[2].score, 1.0 / (1.0 + std::exp(-static_cast<double>(features[100]))), 1e-6);
}

TEST_F(ImageCheckerTest, AppendsAndLeavesFeaturesAloneWhenNotAsked) {
  std::vector<ModerationSignal> signals = {ModerationSignal{"violence", 0.1, "classifier", "earlier"}};
  ASSERT_TRUE(checker_->Check(pool_, image_.pixels.data(), image_.width, image_.height, {}, &signals).ok());
  ASSERT_EQ(signals.size(), 2u);
  EXPECT_EQ(signals[0].detail, "earlier");
  EXPECT_EQ(signals[1].category, "sexual");
}

TEST_F(ImageCheckerTest, AnySizeAndOneThread) {
  // A 1024×1024 image (the API's usual size) and a non-square one, on one thread.
  ThreadPool one(1);
  for (const auto& [w, h] : {std::pair{1024, 1024}, std::pair{200, 96}}) {
    std::vector<uint8_t> rgb(static_cast<size_t>(w) * h * 3);
    for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>((i * 2654435761u) >> 24);
    std::vector<ModerationSignal> signals;
    std::vector<float> features;
    ASSERT_TRUE(checker_->Check(one, rgb.data(), w, h, {}, &signals, &features).ok()) << w << "x" << h;
    ASSERT_EQ(signals.size(), 1u);
    EXPECT_GE(signals[0].score, 0.0);
    EXPECT_LE(signals[0].score, 1.0);
    EXPECT_EQ(features.size(), static_cast<size_t>(kConceptFeatureDim));
  }
}

TEST_F(ImageCheckerTest, RefusesBadInput) {
  std::vector<ModerationSignal> signals;
  Status empty = checker_->Check(pool_, image_.pixels.data(), 0, 64, {}, &signals);
  EXPECT_EQ(empty.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty.message().find("image check"), std::string::npos) << empty.message();

  ConceptHead wrong = OneFeatureHead("short", 0);
  wrong.weight.resize(512);
  Status dim = checker_->Check(pool_, image_.pixels.data(), image_.width, image_.height, {&wrong}, &signals);
  EXPECT_EQ(dim.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(dim.message().find("'short' has dimension 512"), std::string::npos) << dim.message();
  EXPECT_TRUE(signals.empty());  // nothing half-emitted

  Status null_head = checker_->Check(pool_, image_.pixels.data(), image_.width, image_.height, {nullptr}, &signals);
  EXPECT_EQ(null_head.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ImageChecker::Load("/nonexistent").status().ok(), false);
}

}  // namespace
}  // namespace kiln
