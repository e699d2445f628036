// TextToImageModel end to end on a small model directory assembled from the
// committed test checkpoints: the kiln-shapes tokenizer, the T5 golden
// encoder (d_model 64), the tiny autoencoder and random transformer weights.
#include "kiln/pipeline/text_to_image_model.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "kiln/base/file_util.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/flux/flux_weight_shapes.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

const std::string kSource = KILN_SOURCE_DIR;

std::string Manifest(const std::string& extra_sampling = "") {
  return R"({"name": "test", "version": "1",
    "transformer": {"file": "transformer.safetensors", "config": {"in_channels": 64, "out_channels": 64,
        "vec_in_dim": 64, "context_in_dim": 64, "hidden_size": 64, "mlp_ratio": 2.0, "num_heads": 2,
        "depth": 1, "depth_single_blocks": 1, "axes_dim": [8, 12, 12], "theta": 10000, "qkv_bias": true,
        "guidance_embed": false}},
    "autoencoder": {"file": "autoencoder.safetensors", "config": {"resolution": 64, "in_channels": 3, "ch": 32,
        "out_ch": 3, "ch_mult": [1, 2, 2], "num_res_blocks": 1, "z_channels": 16, "scale_factor": 0.3611,
        "shift_factor": 0.1159}},
    "text_encoder": {"file": "text_encoder.safetensors", "config": {"vocab_size": 300, "d_model": 64, "d_kv": 16,
        "d_ff": 160, "num_layers": 3, "num_heads": 4, "relative_attention_num_buckets": 32,
        "relative_attention_max_distance": 64, "feed_forward_proj": "gated-gelu"}, "max_length": 24, "pooling": "mean"},
    "tokenizer": {"file": "tokenizer.model"},
    "sampling": {"steps": 3, "width": 32, "height": 48, "shift": true)" +
         extra_sampling + "}}";
}

class TextToImageModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kiln_t2i_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    fs::copy_file(kSource + "/models/kiln-shapes/tokenizer.model", dir_ / "tokenizer.model");
    fs::copy_file(kSource + "/tests/data/t5_golden/weights.safetensors", dir_ / "text_encoder.safetensors");
    fs::copy_file(kSource + "/tests/data/flux-tiny/autoencoder.safetensors", dir_ / "autoencoder.safetensors");
    auto config = FluxConfig::FromJson(R"({"in_channels": 64, "out_channels": 64, "vec_in_dim": 64,
        "context_in_dim": 64, "hidden_size": 64, "mlp_ratio": 2.0, "num_heads": 2, "depth": 1,
        "depth_single_blocks": 1, "axes_dim": [8, 12, 12], "guidance_embed": false})");
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    std::mt19937 rng(3);
    std::vector<std::pair<std::string, Tensor>> tensors;
    for (const auto& [name, shape] : FluxWeightShapes(*config)) {
      std::uniform_real_distribution<float> dist(-0.2f, 0.2f);
      std::vector<float> values(static_cast<size_t>(ShapeNumel(shape)));
      for (float& v : values) v = dist(rng);
      tensors.emplace_back(name, Tensor::FromVector(shape, values));
    }
    ASSERT_TRUE(WriteSafetensors((dir_ / "transformer.safetensors").string(), tensors).ok());
    ASSERT_TRUE(WriteStringToFile((dir_ / "kiln.json").string(), Manifest()).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

TEST_F(TextToImageModelTest, GeneratesDeterministicImagesFromPrompts) {
  auto model = TextToImageModel::Load(dir_.string());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const GenerateOptions options = (*model)->DefaultOptions();
  EXPECT_EQ(options.steps, 3);
  EXPECT_EQ(options.width, 32);
  ThreadPool pool(2);
  const std::vector<std::string> prompts = {"a large red circle in the top left on a white background",
                                            "a blue square to the left of a yellow triangle on a black background"};
  auto a = (*model)->Generate(pool, prompts, {7, 8}, options);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->shape(), (Shape{2, 3, 48, 32}));
  for (int64_t i = 0; i < a->numel(); ++i) ASSERT_TRUE(std::isfinite(a->f32()[i]));

  auto again = (*model)->Generate(pool, prompts, {7, 8}, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(0, std::memcmp(a->data(), again->data(), a->nbytes())) << "same prompts and seeds must repeat exactly";

  // The second image alone matches its place in the batch (to rounding: GEMM splits differ).
  auto alone = (*model)->Generate(pool, {prompts[1]}, {8}, options);
  ASSERT_TRUE(alone.ok());
  const int64_t per_image = alone->numel();
  double max_diff = 0;
  for (int64_t i = 0; i < per_image; ++i) {
    max_diff = std::max(max_diff, static_cast<double>(std::fabs(alone->f32()[i] - a->f32()[per_image + i])));
  }
  EXPECT_LT(max_diff, 1e-4);

  // Another prompt with the same seed gives another image.
  auto other = (*model)->Generate(pool, {prompts[0]}, {8}, options);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(0, std::memcmp(other->data(), alone->data(), alone->nbytes()));
}

TEST_F(TextToImageModelTest, ClassifierFreeGuidanceMixesTheEmptyPromptsPrediction) {
  ASSERT_TRUE(WriteStringToFile((dir_ / "kiln.json").string(), Manifest(", \"cfg_scale\": 3.0")).ok());
  auto model = TextToImageModel::Load(dir_.string());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  GenerateOptions options = (*model)->DefaultOptions();
  EXPECT_EQ(options.cfg_scale, 3.0f);
  ThreadPool pool(2);
  const std::string prompt = "a large red circle in the top left on a white background";
  auto guided = (*model)->Generate(pool, {prompt}, {5}, options);
  ASSERT_TRUE(guided.ok()) << guided.status().ToString();
  options.cfg_scale = 1.0f;
  auto plain = (*model)->Generate(pool, {prompt}, {5}, options);
  ASSERT_TRUE(plain.ok());
  EXPECT_NE(0, std::memcmp(guided->data(), plain->data(), plain->nbytes())) << "guidance must change the image";

  // In a guided batch (the empty prompt's states are encoded once and repeated per image) the
  // second image matches the same prompt guided alone (to rounding: GEMM splits differ).
  options.cfg_scale = 3.0f;
  auto batch = (*model)->Generate(pool, {"a small blue square in the center on a black background", prompt}, {9, 5},
                                  options);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  const int64_t per_image = guided->numel();
  ASSERT_EQ(batch->numel(), 2 * per_image);
  double max_diff = 0;
  for (int64_t i = 0; i < per_image; ++i) {
    max_diff = std::max(max_diff, static_cast<double>(std::fabs(guided->f32()[i] - batch->f32()[per_image + i])));
  }
  EXPECT_LT(max_diff, 1e-4);

  // Scale 0 keeps only the unconditional prediction: the empty prompt's image, bit for bit.
  options.cfg_scale = 0.0f;
  auto uncond_only = (*model)->Generate(pool, {prompt}, {5}, options);
  ASSERT_TRUE(uncond_only.ok());
  options.cfg_scale = 1.0f;
  auto empty_prompt = (*model)->Generate(pool, {""}, {5}, options);
  ASSERT_TRUE(empty_prompt.ok());
  EXPECT_EQ(0, std::memcmp(uncond_only->data(), empty_prompt->data(), empty_prompt->nbytes()));

  options.cfg_scale = 31.0f;
  auto bad = (*model)->Generate(pool, {prompt}, {5}, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cfg_scale"), std::string::npos) << bad.status().ToString();

  ASSERT_TRUE(WriteStringToFile((dir_ / "kiln.json").string(), Manifest(", \"cfg_scale\": -1")).ok());
  auto bad_manifest = TextToImageModel::Load(dir_.string());
  ASSERT_FALSE(bad_manifest.ok());
  EXPECT_NE(bad_manifest.status().message().find("cfg_scale"), std::string::npos);
}

TEST_F(TextToImageModelTest, BadManifestsNameTheField) {
  ASSERT_TRUE(WriteStringToFile((dir_ / "kiln.json").string(), Manifest(", \"stepz\": 4")).ok());
  auto unknown = TextToImageModel::Load(dir_.string());
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("stepz"), std::string::npos) << unknown.status().ToString();

  std::string mismatched = Manifest();
  mismatched.replace(mismatched.find("\"context_in_dim\": 64"), 20, "\"context_in_dim\": 32");
  ASSERT_TRUE(WriteStringToFile((dir_ / "kiln.json").string(), mismatched).ok());
  auto dims = TextToImageModel::Load(dir_.string());
  ASSERT_FALSE(dims.ok());
  EXPECT_NE(dims.status().message().find("context_in_dim"), std::string::npos) << dims.status().ToString();

  fs::remove(dir_ / "kiln.json");
  auto missing = TextToImageModel::Load(dir_.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("kiln.json"), std::string::npos);
}

TEST_F(TextToImageModelTest, RejectsBadRequestSizes) {
  auto model = TextToImageModel::Load(dir_.string());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ThreadPool pool(1);
  GenerateOptions options = (*model)->DefaultOptions();
  options.width = 36;  // not a multiple of 2 × 4
  auto bad = (*model)->Generate(pool, {"a red circle"}, {1}, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("width"), std::string::npos);
  EXPECT_FALSE((*model)->Generate(pool, {"a", "b"}, {1}, (*model)->DefaultOptions()).ok());
}

}  // namespace
}  // namespace kiln
