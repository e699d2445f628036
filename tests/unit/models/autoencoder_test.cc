// The C++ AutoencoderKL against a naive float64 reference on configs, batch
// sizes and image sizes the golden case does not cover (odd and non-square
// sizes, several levels, channel counts that shrink as well as grow), and
// Load's errors. Parity with the official code itself is in
// tests/golden/autoencoder_golden_test.cc.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kiln/base/thread_pool.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/autoencoder/autoencoder.h"
#include "testing/autoencoder_reference.h"
#include "testing/tensor_compare.h"

namespace kiln {
namespace {

using Weights = std::vector<std::pair<std::string, Tensor>>;

// f32 against float64: a few float32 roundings per op, as in the golden README.
constexpr double kMaxRel = 1e-4;
constexpr double kRelL2 = 5e-5;

std::unique_ptr<SafetensorsFile> WriteAndOpen(const Weights& weights, const std::string& name) {
  const std::string path = ::testing::TempDir() + "/autoencoder_test_" + name + ".safetensors";
  Status written = WriteSafetensors(path, weights);
  EXPECT_TRUE(written.ok()) << written.ToString();
  auto file = SafetensorsFile::Open(path);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return file.ok() ? std::move(*file) : nullptr;
}

Tensor RandomTensor(const Shape& shape, uint32_t seed, bool normal) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  Tensor t = Tensor::Empty(DType::kF32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = normal ? gauss(rng) : uniform(rng);
  return t;
}

struct Case {
  std::string name;
  AutoencoderConfig config;
  int64_t batch, height, width;
};

AutoencoderConfig MakeConfig(int64_t in, int64_t out, std::vector<int64_t> mult, int64_t blocks,
                             int64_t z) {
  AutoencoderConfig c;
  c.resolution = 32;
  c.in_channels = in;
  c.ch = 32;
  c.out_ch = out;
  c.ch_mult = std::move(mult);
  c.num_res_blocks = blocks;
  c.z_channels = z;
  return c;
}

class AutoencoderReferenceTest : public ::testing::TestWithParam<Case> {};

TEST_P(AutoencoderReferenceTest, MatchesFloat64Reference) {
  const Case& c = GetParam();
  const Weights weights = test::RandomAutoencoderWeights(c.config, 1234);
  auto file = WriteAndOpen(weights, c.name);
  ASSERT_NE(file, nullptr);
  ThreadPool pool(2);
  auto model = Autoencoder::Load(*file, c.config);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const test::ReferenceAutoencoder ref(c.config, weights);

  const Tensor image = RandomTensor({c.batch, c.config.in_channels, c.height, c.width}, 7, false);
  const test::RefActivation ref_moments = ref.Encoder(test::ToRef(image));
  const Tensor moments = (*model)->EncodeMoments(pool, image);
  EXPECT_TRUE(test::TensorsClose(moments, test::FromRef(ref_moments), kMaxRel, kRelL2)) << "moments";

  const Tensor noise = RandomTensor({c.batch, c.config.z_channels, ref_moments.h, ref_moments.w}, 8, true);
  const test::RefActivation ref_noise = test::ToRef(noise);
  EXPECT_TRUE(test::TensorsClose((*model)->Encode(pool, image), test::FromRef(ref.Latent(ref_moments, nullptr)),
                                 kMaxRel, kRelL2))
      << "latent mode";
  EXPECT_TRUE(test::TensorsClose((*model)->EncodeSampled(pool, image, noise),
                                 test::FromRef(ref.Latent(ref_moments, &ref_noise)), kMaxRel, kRelL2))
      << "latent sampled";

  const Tensor latent = RandomTensor(noise.shape(), 9, true);
  const Tensor decoded = (*model)->Decode(pool, latent);
  const int64_t f = c.config.downsample_factor();
  EXPECT_EQ(decoded.shape(), (Shape{c.batch, c.config.out_ch, latent.dim(2) * f, latent.dim(3) * f}));
  EXPECT_TRUE(test::TensorsClose(decoded, test::FromRef(ref.Decode(test::ToRef(latent))), kMaxRel, kRelL2))
      << "decoded";
}

INSTANTIATE_TEST_SUITE_P(
    AutoencoderConfigs, AutoencoderReferenceTest,
    ::testing::Values(
        // Two levels, two blocks per level, batch 2, non-square.
        Case{"two_levels", MakeConfig(3, 3, {1, 2}, 2, 4), 2, 12, 8},
        // Three levels with shrinking channels (nin_shortcut both ways), odd
        // sizes (Downsample's rounding: 13 -> 6 -> 3, 9 -> 4 -> 2), odd channel counts.
        Case{"shrinking_odd", MakeConfig(1, 2, {2, 1, 1}, 1, 3), 1, 13, 9},
        // One level: no Downsample or Upsample at all; no encoder ResnetBlocks.
        Case{"one_level_no_blocks", MakeConfig(4, 1, {2}, 0, 5), 3, 5, 7}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(AutoencoderLoadTest, Bf16WeightsAreWidenedOnce) {
  const AutoencoderConfig config = MakeConfig(3, 3, {1, 2}, 1, 4);
  Weights f32 = test::RandomAutoencoderWeights(config, 99);
  Weights bf16;
  for (auto& [name, t] : f32) {
    Tensor half = Tensor::Empty(DType::kBF16, t.shape());
    auto* bits = static_cast<uint16_t*>(half.data());
    for (int64_t i = 0; i < t.numel(); ++i) {
      bits[i] = F32ToBF16(t.f32()[i]);
      t.f32()[i] = BF16ToF32(bits[i]);  // the f32 model gets the same rounded values
    }
    bf16.push_back({name, half});
  }
  auto f32_file = WriteAndOpen(f32, "rounded_f32");
  auto bf16_file = WriteAndOpen(bf16, "bf16");
  ASSERT_NE(f32_file, nullptr);
  ASSERT_NE(bf16_file, nullptr);
  ThreadPool pool(1);
  auto a = Autoencoder::Load(*f32_file, config);
  auto b = Autoencoder::Load(*bf16_file, config);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  const Tensor image = RandomTensor({1, 3, 8, 8}, 3, false);
  EXPECT_TRUE(test::TensorsClose((*b)->Forward(pool, image), (*a)->Forward(pool, image), 0.0, 0.0));
}

TEST(AutoencoderLoadTest, MissingWeightIsNamed) {
  const AutoencoderConfig config = MakeConfig(3, 3, {1, 2}, 1, 4);
  Weights weights = test::RandomAutoencoderWeights(config, 5);
  const std::string victim = "decoder.up.0.block.1.conv2.bias";
  std::erase_if(weights, [&](const auto& entry) { return entry.first == victim; });
  auto file = WriteAndOpen(weights, "missing");
  ASSERT_NE(file, nullptr);
  auto model = Autoencoder::Load(*file, config);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kNotFound);
  EXPECT_NE(model.status().message().find(victim), std::string::npos) << model.status().ToString();
}

TEST(AutoencoderLoadTest, MisshapedWeightIsNamed) {
  const AutoencoderConfig config = MakeConfig(3, 3, {1, 2}, 1, 4);
  Weights weights = test::RandomAutoencoderWeights(config, 5);
  const std::string victim = "encoder.down.1.block.0.nin_shortcut.weight";
  for (auto& [name, t] : weights) {
    if (name == victim) t = Tensor::Zeros(DType::kF32, {64, 32, 3, 3});
  }
  auto file = WriteAndOpen(weights, "misshaped");
  ASSERT_NE(file, nullptr);
  auto model = Autoencoder::Load(*file, config);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(model.status().message().find(victim), std::string::npos) << model.status().ToString();
}

TEST(AutoencoderLoadTest, WeightsOfAnotherConfigAreRefused) {
  // The tiny checkpoint's weights cannot load as FLUX.1's full-size ae.
  const AutoencoderConfig small = MakeConfig(3, 3, {1, 2}, 1, 4);
  auto file = WriteAndOpen(test::RandomAutoencoderWeights(small, 5), "other_config");
  ASSERT_NE(file, nullptr);
  EXPECT_FALSE(Autoencoder::Load(*file, AutoencoderConfig{}).ok());
}

TEST(AutoencoderLoadTest, InvalidConfigIsRefused) {
  AutoencoderConfig config = MakeConfig(3, 3, {1, 2}, 1, 4);
  auto file = WriteAndOpen(test::RandomAutoencoderWeights(config, 5), "invalid_config");
  ASSERT_NE(file, nullptr);
  config.ch = 48;  // GroupNorm(32, 48) is impossible
  auto model = Autoencoder::Load(*file, config);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln
