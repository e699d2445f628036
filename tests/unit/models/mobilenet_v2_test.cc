// MobileNetV2 loading: the topology check and the classifier's contract, on
// the model committed under models/nsfw-mobilenet-v2. Numerical parity with
// TensorFlow.js is tests/golden/nsfw_golden_test.cc.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/base/file_util.h"
#include "kiln/models/mobilenet_v2/mobilenet_v2_arch.h"
#include "kiln/models/mobilenet_v2/mobilenet_v2_topology.h"
#include "kiln/models/mobilenet_v2/nsfw_classifier.h"

namespace kiln {
namespace {

const std::string kModelDir = std::string(KILN_SOURCE_DIR) + "/models/nsfw-mobilenet-v2";

std::string Topology() {
  auto text = ReadFileToString(kModelDir + "/topology.json");
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : "";
}

TEST(MobileNetV2Test, ArchitectureTable) {
  const auto& blocks = MobileNetV2Arch::Blocks();
  ASSERT_EQ(blocks.size(), 17u);
  EXPECT_EQ(blocks[0].prefix, "expanded_conv_");
  EXPECT_FALSE(blocks[0].has_expand);
  EXPECT_EQ(blocks[16].prefix, "block_16_");
  EXPECT_EQ(blocks[16].out_channels, 320);
  int residual = 0;
  for (const auto& b : blocks) residual += b.residual;
  EXPECT_EQ(residual, 10);  // block_{2,4,5,7,8,9,11,12,14,15}_add
  EXPECT_EQ(blocks[2].output_layer(), "block_2_add");
}

TEST(MobileNetV2Test, ShippedTopologyParses) {
  auto topology = MobileNetV2Topology::Parse(Topology());
  ASSERT_TRUE(topology.ok()) << topology.status().ToString();
  EXPECT_EQ(topology->bn_epsilon.size(), 52u);
  auto eps = topology->Epsilon("block_3_depthwise_BN");
  ASSERT_TRUE(eps.ok());
  EXPECT_DOUBLE_EQ(*eps, 1e-3);
}

// A topology that differs in anything the forward pass depends on is refused, naming the layer.
TEST(MobileNetV2Test, TopologyMismatchNamesTheLayer) {
  auto json = nlohmann::json::parse(Topology());
  auto& layers = json["model_config"]["config"]["layers"];
  for (auto& layer : layers) {
    if (layer["name"] == "block_3_depthwise") layer["config"]["strides"] = {1, 1};
  }
  auto parsed = MobileNetV2Topology::Parse(json.dump());
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("block_3_depthwise"), std::string::npos) << parsed.status().message();

  json = nlohmann::json::parse(Topology());
  for (auto& layer : json["model_config"]["config"]["layers"]) {
    if (layer["name"] == "out_relu") layer["config"]["max_value"] = nullptr;
  }
  parsed = MobileNetV2Topology::Parse(json.dump());
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("out_relu"), std::string::npos) << parsed.status().message();
  EXPECT_FALSE(MobileNetV2Topology::Parse("{}").ok());
}

TEST(NsfwClassifierTest, LoadsAndClassifiesAnySize) {
  auto classifier = NsfwClassifier::Load(kModelDir);
  ASSERT_TRUE(classifier.ok()) << classifier.status().ToString();
  ThreadPool pool(2);
  std::vector<uint8_t> rgb(31 * 17 * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 13);
  NsfwResult result;
  ASSERT_TRUE((*classifier)->Classify(pool, rgb.data(), 31, 17, &result).ok());
  float sum = 0;
  for (float p : result.probs) sum += p;
  EXPECT_NEAR(sum, 1.0f, 1e-5f);
  EXPECT_EQ(result.features.size(), 1280u);
  // A second call reuses every buffer and gives the same answer.
  NsfwResult again;
  ASSERT_TRUE((*classifier)->Classify(pool, rgb.data(), 31, 17, &again).ok());
  for (int i = 0; i < kNsfwClasses; ++i) EXPECT_EQ(again.probs[i], result.probs[i]);
  EXPECT_EQ((*classifier)->Classify(pool, rgb.data(), 0, 17, &again).code(), StatusCode::kInvalidArgument);
}

TEST(NsfwClassifierTest, MissingDirectoryIsNotFound) {
  auto classifier = NsfwClassifier::Load(kModelDir + "/does-not-exist");
  EXPECT_FALSE(classifier.ok());
}

}  // namespace
}  // namespace kiln
