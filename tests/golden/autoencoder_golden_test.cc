// Parity of the C++ AutoencoderKL with the official black-forest-labs/flux
// code on ../shared/golden/flux/autoencoder_tiny (see its README): every
// output within max|out-ref|/max|ref| <= 1e-4 and rel L2 <= 5e-5.
// Skipped when the shared data is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/base/thread_pool.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/autoencoder/autoencoder.h"
#include "testing/tensor_compare.h"

namespace kiln {
namespace {

constexpr double kMaxRel = 1e-4;
constexpr double kRelL2 = 5e-5;

const std::string& CaseDir() {
  static const std::string dir = KILN_SOURCE_DIR "/../shared/golden/flux/autoencoder_tiny";
  return dir;
}

// The model config: weights' "config" metadata, else io's case_spec.params.
StatusOr<AutoencoderConfig> CaseConfig(const SafetensorsFile& weights, const SafetensorsFile& io) {
  auto it = weights.metadata().find("config");
  if (it != weights.metadata().end()) return AutoencoderConfig::FromJson(it->second);
  it = io.metadata().find("case_spec");
  if (it == io.metadata().end()) return Status::NotFound("no config in the golden metadata");
  const auto spec = nlohmann::json::parse(it->second, nullptr, false);
  if (spec.is_discarded() || !spec.contains("params")) {
    return Status::DataLoss("case_spec has no params");
  }
  return AutoencoderConfig::FromJson(spec["params"].dump());
}

// EXPECTs out within the golden bounds of ref and records the numbers as a
// test property (visible with --gtest_output=xml), for the parity report.
void ExpectGolden(const std::string& name, const Tensor& out, const Tensor& ref) {
  const auto close = test::TensorsClose(out, ref, kMaxRel, kRelL2);
  ::testing::Test::RecordProperty(name, close.message());
  EXPECT_TRUE(close) << name;
}

class AutoencoderGoldenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(CaseDir() + "/io.safetensors")) return;
    auto io = SafetensorsFile::Open(CaseDir() + "/io.safetensors");
    auto weights = SafetensorsFile::Open(CaseDir() + "/weights.safetensors");
    auto intermediates = SafetensorsFile::Open(CaseDir() + "/intermediates.safetensors");
    ASSERT_TRUE(io.ok()) << io.status().ToString();
    ASSERT_TRUE(weights.ok()) << weights.status().ToString();
    ASSERT_TRUE(intermediates.ok()) << intermediates.status().ToString();
    auto config = CaseConfig(**weights, **io);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    pool_ = new ThreadPool(2);
    auto model = Autoencoder::Load(**weights, *config);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = std::move(*model).release();
    io_ = std::move(*io).release();
    intermediates_ = std::move(*intermediates).release();
  }

  static void TearDownTestSuite() {
    delete model_;
    delete io_;
    delete intermediates_;
    delete pool_;
    model_ = nullptr;
    io_ = intermediates_ = nullptr;
    pool_ = nullptr;
  }

  void SetUp() override {
    if (!std::filesystem::exists(CaseDir() + "/io.safetensors")) {
      GTEST_SKIP() << "golden data absent: " << CaseDir();
    }
    ASSERT_NE(model_, nullptr) << "the golden case failed to load";
  }

  static Tensor Io(const std::string& name) {
    auto t = io_->GetF32(name);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : Tensor();
  }

  static inline ThreadPool* pool_ = nullptr;
  static inline Autoencoder* model_ = nullptr;
  static inline SafetensorsFile* io_ = nullptr;
  static inline SafetensorsFile* intermediates_ = nullptr;
};

TEST_F(AutoencoderGoldenTest, EncoderMoments) {
  // Every intermediate the official run recorded, so that a divergence names
  // the first module where it appears.
  int compared = 0;
  const Tensor moments = model_->EncodeMoments(*pool_, 
      Io("image"), [&](const std::string& path, const Tensor& out) {
        auto ref = intermediates_->GetF32(path + ".output");
        if (!ref.ok()) return;
        ++compared;
        ExpectGolden(path, out, *ref);
      });
  EXPECT_GT(compared, 0);
  ExpectGolden("encoder_moments", moments, Io("encoder_moments"));
}

TEST_F(AutoencoderGoldenTest, LatentMode) {
  ExpectGolden("latent_mode", model_->Encode(*pool_, Io("image")), Io("latent_mode"));
}

TEST_F(AutoencoderGoldenTest, LatentSampled) {
  const Tensor sampled = model_->EncodeSampled(*pool_, Io("image"), Io("sample_noise"));
  ExpectGolden("latent_sampled", sampled, Io("latent_sampled"));
}

TEST_F(AutoencoderGoldenTest, Decoded) {
  int compared = 0;
  const Tensor decoded = model_->Decode(*pool_, 
      Io("decode_input"), [&](const std::string& path, const Tensor& out) {
        auto ref = intermediates_->GetF32(path + ".output");
        if (!ref.ok()) return;
        ++compared;
        ExpectGolden(path, out, *ref);
      });
  EXPECT_GT(compared, 0);
  ExpectGolden("decoded", decoded, Io("decoded"));
}

TEST_F(AutoencoderGoldenTest, ForwardOut) {
  ExpectGolden("forward_out", model_->Forward(*pool_, Io("image")), Io("forward_out"));
}

TEST_F(AutoencoderGoldenTest, EveryIntermediateIsVisited) {
  std::map<std::string, int> seen;
  auto count = [&](const std::string& path, const Tensor&) { ++seen[path + ".output"]; };
  (void)model_->EncodeMoments(*pool_, Io("image"), count);
  (void)model_->Decode(*pool_, Io("decode_input"), count);
  for (const TensorEntry& entry : intermediates_->entries()) {
    EXPECT_EQ(seen[entry.name], 1) << entry.name;
  }
}

// The same outputs against the float64 run of the official code: the f32
// golden's own error is ~4e-6 there, so ours should be of that order too.
TEST_F(AutoencoderGoldenTest, CloseToFloat64Reference) {
  auto fp64 = SafetensorsFile::Open(CaseDir() + "/ref_fp64.safetensors");
  ASSERT_TRUE(fp64.ok()) << fp64.status().ToString();
  auto ref = [&](const std::string& name) {
    auto t = (*fp64)->GetF32(name);  // widened from F64
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : Tensor();
  };
  const Tensor image = Io("image");
  ExpectGolden("fp64.encoder_moments", model_->EncodeMoments(*pool_, image), ref("encoder_moments"));
  ExpectGolden("fp64.latent_mode", model_->Encode(*pool_, image), ref("latent_mode"));
  ExpectGolden("fp64.latent_sampled", model_->EncodeSampled(*pool_, image, Io("sample_noise")),
               ref("latent_sampled"));
  ExpectGolden("fp64.decoded", model_->Decode(*pool_, Io("decode_input")), ref("decoded"));
  ExpectGolden("fp64.forward_out", model_->Forward(*pool_, image), ref("forward_out"));
}

// A batch of two different items gives, item for item, the batch-1 results:
// catches batch offsets that the batch-1 golden cannot see.
TEST_F(AutoencoderGoldenTest, BatchOfTwoMatchesSingles) {
  const Tensor image = Io("image");
  const int64_t item = image.numel();
  Tensor pair = Tensor::Empty(DType::kF32, {2, image.dim(1), image.dim(2), image.dim(3)});
  for (int64_t i = 0; i < item; ++i) {
    pair.f32()[i] = image.f32()[i];
    pair.f32()[item + i] = -0.5f * image.f32()[item - 1 - i];  // a different image
  }
  Tensor second = Tensor::Empty(DType::kF32, image.shape());
  std::copy(pair.f32() + item, pair.f32() + 2 * item, second.f32());

  const Tensor both = model_->Forward(*pool_, pair);
  const Tensor first_alone = model_->Forward(*pool_, image);
  const Tensor second_alone = model_->Forward(*pool_, second);
  ASSERT_EQ(both.dim(0), 2);
  const int64_t out_item = first_alone.numel();
  const Tensor both_first = Tensor::FromVector(
      first_alone.shape(), std::vector<float>(both.f32(), both.f32() + out_item));
  const Tensor both_second = Tensor::FromVector(
      second_alone.shape(), std::vector<float>(both.f32() + out_item, both.f32() + 2 * out_item));
  EXPECT_TRUE(test::TensorsClose(both_first, first_alone, 1e-5, 1e-5));
  EXPECT_TRUE(test::TensorsClose(both_second, second_alone, 1e-5, 1e-5));
  EXPECT_TRUE(test::TensorsClose(both_first, Io("forward_out"), kMaxRel, kRelL2));
}

}  // namespace
}  // namespace kiln
