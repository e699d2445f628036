#include "kiln/models/autoencoder/autoencoder_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kiln {
namespace {

// The error is InvalidArgument and its message names the field, quoted.
void ExpectFieldError(const std::string& json, const std::string& field) {
  auto config = AutoencoderConfig::FromJson(json);
  ASSERT_FALSE(config.ok()) << json;
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument) << json;
  EXPECT_NE(config.status().message().find("'" + field + "'"), std::string::npos)
      << json << " -> " << config.status().ToString();
}

TEST(AutoencoderConfigTest, DefaultsAreFluxAe) {
  const AutoencoderConfig config;
  EXPECT_EQ(config.resolution, 256);
  EXPECT_EQ(config.in_channels, 3);
  EXPECT_EQ(config.ch, 128);
  EXPECT_EQ(config.out_ch, 3);
  EXPECT_EQ(config.ch_mult, (std::vector<int64_t>{1, 2, 4, 4}));
  EXPECT_EQ(config.num_res_blocks, 2);
  EXPECT_EQ(config.z_channels, 16);
  EXPECT_FLOAT_EQ(config.scale_factor, 0.3611f);
  EXPECT_FLOAT_EQ(config.shift_factor, 0.1159f);
  EXPECT_EQ(config.downsample_factor(), 8);
  EXPECT_TRUE(config.Validate().ok());
}

TEST(AutoencoderConfigTest, ParsesEveryField) {
  auto config = AutoencoderConfig::FromJson(
      R"({"resolution": 64, "in_channels": 1, "ch": 32, "out_ch": 2, "ch_mult": [1, 2, 2],
          "num_res_blocks": 1, "z_channels": 4, "scale_factor": 0.5, "shift_factor": -1})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->resolution, 64);
  EXPECT_EQ(config->in_channels, 1);
  EXPECT_EQ(config->ch, 32);
  EXPECT_EQ(config->out_ch, 2);
  EXPECT_EQ(config->ch_mult, (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(config->num_res_blocks, 1);
  EXPECT_EQ(config->z_channels, 4);
  EXPECT_FLOAT_EQ(config->scale_factor, 0.5f);
  EXPECT_FLOAT_EQ(config->shift_factor, -1.0f);  // an integer is a fine float
  EXPECT_EQ(config->downsample_factor(), 4);
}

TEST(AutoencoderConfigTest, MissingFieldsKeepDefaults) {
  auto config = AutoencoderConfig::FromJson(R"({"z_channels": 4})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->z_channels, 4);
  EXPECT_EQ(config->ch, 128);
  EXPECT_EQ(config->ch_mult, (std::vector<int64_t>{1, 2, 4, 4}));
  EXPECT_FLOAT_EQ(config->scale_factor, 0.3611f);

  auto empty = AutoencoderConfig::FromJson("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->num_res_blocks, 2);
}

TEST(AutoencoderConfigTest, SingleLevelHasFactorOne) {
  auto config = AutoencoderConfig::FromJson(R"({"ch_mult": [4]})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->downsample_factor(), 1);
}

TEST(AutoencoderConfigTest, WrongTypesNameTheField) {
  ExpectFieldError(R"({"ch": "128"})", "ch");
  ExpectFieldError(R"({"ch": 128.0})", "ch");
  ExpectFieldError(R"({"resolution": true})", "resolution");
  ExpectFieldError(R"({"in_channels": null})", "in_channels");
  ExpectFieldError(R"({"out_ch": [3]})", "out_ch");
  ExpectFieldError(R"({"num_res_blocks": 1.5})", "num_res_blocks");
  ExpectFieldError(R"({"z_channels": {}})", "z_channels");
  ExpectFieldError(R"({"scale_factor": "0.36"})", "scale_factor");
  ExpectFieldError(R"({"shift_factor": null})", "shift_factor");
  ExpectFieldError(R"({"ch_mult": 4})", "ch_mult");
  ExpectFieldError(R"({"ch_mult": [1, "2"]})", "ch_mult[1]");
}

TEST(AutoencoderConfigTest, InvalidValuesNameTheField) {
  ExpectFieldError(R"({"ch": 0})", "ch");
  ExpectFieldError(R"({"ch": 48})", "ch");  // not divisible by the 32 GroupNorm groups
  ExpectFieldError(R"({"z_channels": -1})", "z_channels");
  ExpectFieldError(R"({"num_res_blocks": -1})", "num_res_blocks");
  ExpectFieldError(R"({"ch_mult": []})", "ch_mult");
  ExpectFieldError(R"({"ch_mult": [1, 0]})", "ch_mult[1]");
  ExpectFieldError(R"({"scale_factor": 0})", "scale_factor");
}

TEST(AutoencoderConfigTest, UnknownFieldIsNamed) {
  // AutoEncoderParams(**json) refuses it too; a typo must not silently keep a default.
  ExpectFieldError(R"({"scale_facter": 0.3})", "scale_facter");
}

TEST(AutoencoderConfigTest, NotAnObjectOrNotJson) {
  for (const char* json : {"", "[1, 2]", "42", "{\"ch\": 32", "nul"}) {
    auto config = AutoencoderConfig::FromJson(json);
    ASSERT_FALSE(config.ok()) << json;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument) << json;
  }
}

}  // namespace
}  // namespace kiln
