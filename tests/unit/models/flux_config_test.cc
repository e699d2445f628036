#include "kiln/models/flux/flux_config.h"

#include <gtest/gtest.h>

#include <memory>

#include "kiln/checkpoint/safetensors.h"

namespace kiln {
namespace {

TEST(FluxConfigTest, ParsesOfficialFieldsAndTheGoldenWrapper) {
  auto c = FluxConfig::FromJson(R"({"FluxParams": {"in_channels": 64, "out_channels": 64, "vec_in_dim": 32,
      "context_in_dim": 48, "hidden_size": 128, "mlp_ratio": 4.0, "num_heads": 4, "depth": 2,
      "depth_single_blocks": 3, "axes_dim": [8, 12, 12], "theta": 10000, "qkv_bias": false, "guidance_embed": false}})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->hidden_size, 128);
  EXPECT_EQ(c->head_dim(), 32);
  EXPECT_EQ(c->mlp_hidden(), 512);
  EXPECT_EQ(c->depth_single_blocks, 3);
  EXPECT_FALSE(c->qkv_bias);
  EXPECT_FALSE(c->guidance_embed);
  EXPECT_EQ(c->axes_dim, (std::vector<int64_t>{8, 12, 12}));
}

TEST(FluxConfigTest, DefaultsAreFluxDev) {
  auto c = FluxConfig::FromJson("{}");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->hidden_size, 3072);
  EXPECT_EQ(c->depth, 19);
  EXPECT_EQ(c->depth_single_blocks, 38);
  EXPECT_TRUE(c->guidance_embed);
}

TEST(FluxConfigTest, ErrorsNameTheField) {
  auto wrong_type = FluxConfig::FromJson(R"({"hidden_size": "big"})");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.status().message().find("hidden_size"), std::string::npos);

  auto bad_axes = FluxConfig::FromJson(R"({"hidden_size": 128, "num_heads": 4, "axes_dim": [8, 8, 8]})");
  ASSERT_FALSE(bad_axes.ok());
  EXPECT_NE(bad_axes.status().message().find("axes_dim"), std::string::npos);

  auto heads = FluxConfig::FromJson(R"({"hidden_size": 130, "num_heads": 4})");
  ASSERT_FALSE(heads.ok());
  EXPECT_NE(heads.status().message().find("num_heads"), std::string::npos);

  EXPECT_FALSE(FluxConfig::FromJson("[1, 2]").ok());
  EXPECT_FALSE(FluxConfig::FromJson("{not json").ok());
}

TEST(FluxConfigTest, RoundTripsThroughJson) {
  FluxConfig c;
  c.hidden_size = 256;
  c.num_heads = 8;
  c.axes_dim = {8, 12, 12};
  c.guidance_embed = false;
  auto back = FluxConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ToJson(), c.ToJson());
}

TEST(FluxConfigTest, InfersEverySizeFromGoldenWeights) {
  for (const char* name : {"flux_dev_tiny", "flux_schnell_tiny"}) {
    const std::string path = std::string(KILN_SOURCE_DIR) + "/../shared/golden/flux/" + name + "/weights.safetensors";
    auto file = SafetensorsFile::Open(path);
    if (!file.ok()) GTEST_SKIP() << "no shared golden data: " << file.status().ToString();
    auto stated = FluxConfig::FromJson((*file)->metadata().at("config"));
    ASSERT_TRUE(stated.ok());
    FluxConfig base;
    base.axes_dim = stated->axes_dim;  // not determined by weights
    auto inferred = FluxConfig::InferFromWeights(**file, base);
    ASSERT_TRUE(inferred.ok()) << inferred.status().ToString();
    EXPECT_EQ(inferred->ToJson(), stated->ToJson()) << name;
  }
}

}  // namespace
}  // namespace kiln
