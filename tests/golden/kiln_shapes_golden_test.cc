// The C++ pipeline against the PyTorch one (research/kiln_research/pipeline.py)
// on the committed kiln-shapes model: same tokens, same text states, the same
// noise bit for bit, and the same image within 1e-3 relative.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "kiln/checkpoint/safetensors.h"
#include "kiln/pipeline/noise.h"
#include "kiln/pipeline/text_to_image_model.h"
#include "kiln/tensor/tensor_diff.h"

namespace kiln {
namespace {

const std::string kModel = std::string(KILN_SOURCE_DIR) + "/models/kiln-shapes";
const std::string kGolden = std::string(KILN_SOURCE_DIR) + "/tests/data/kiln_shapes_golden/golden.safetensors";

// max|out − ref| / max|ref| of count floats against ref.
double MaxRel(const float* out, const Tensor& ref) {
  return CompareTensors(Tensor::View(DType::kF32, ref.shape(), out, nullptr), ref).max_rel;
}

class KilnShapesGoldenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kGolden)) GTEST_SKIP() << "no " << kGolden << " yet";
    auto golden = SafetensorsFile::Open(kGolden);
    ASSERT_TRUE(golden.ok()) << golden.status().ToString();
    golden_ = std::move(golden).value();
    auto model = TextToImageModel::Load(kModel);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = std::move(model).value();
    prompts_ = nlohmann::json::parse(golden_->metadata().at("prompts")).get<std::vector<std::string>>();
    for (int64_t s : nlohmann::json::parse(golden_->metadata().at("seeds")).get<std::vector<int64_t>>()) {
      seeds_.push_back(static_cast<uint64_t>(s));
    }
  }

  Tensor Ref(const std::string& name) {
    auto t = golden_->Get(name);
    EXPECT_TRUE(t.ok()) << name;
    return t.ok() ? *t : Tensor();
  }

  void CheckImages(const std::string& prefix, const std::vector<std::string>& prompts,
                   const std::vector<uint64_t>& seeds, int64_t size) {
    const Tensor noise_ref = Ref(prefix + ".noise").ToF32();
    const int64_t per_image = noise_ref.numel() / static_cast<int64_t>(seeds.size());
    std::vector<float> noise(static_cast<size_t>(per_image));
    for (size_t i = 0; i < seeds.size(); ++i) {
      GaussianNoise(noise.data(), per_image, seeds[i]);
      EXPECT_EQ(0, std::memcmp(noise.data(), noise_ref.f32() + i * per_image, per_image * sizeof(float)))
          << prefix << " noise of seed " << seeds[i] << " differs from the Python port";
    }
    GenerateOptions options = model_->DefaultOptions();
    options.width = options.height = size;
    ThreadPool pool(2);
    auto image = model_->Generate(pool, prompts, seeds, options);
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    const Tensor ref = Ref(prefix + ".image");
    ASSERT_EQ(image->shape(), ref.shape());
    const double rel = MaxRel(image->f32(), ref);
    std::printf("%s image: max rel %.3e\n", prefix.c_str(), rel);
    EXPECT_LE(rel, 1e-3) << prefix;
  }

  std::unique_ptr<SafetensorsFile> golden_;
  std::unique_ptr<TextToImageModel> model_;
  std::vector<std::string> prompts_;
  std::vector<uint64_t> seeds_;
};

TEST_F(KilnShapesGoldenTest, TokensAndTextStatesMatchPyTorch) {
  ThreadPool pool(2);
  const TextToImageModel& m = *model_;
  const Tensor ids_ref = Ref("input_ids").ToF32(), mask_ref = Ref("attention_mask").ToF32();
  const int64_t len = m.manifest().max_length;
  ASSERT_EQ(ids_ref.numel(), len * static_cast<int64_t>(prompts_.size()));
  auto tokenizer = SentencePieceTokenizer::Load(m.manifest().tokenizer_file);
  ASSERT_TRUE(tokenizer.ok());
  auto file = SafetensorsFile::Open(m.manifest().text_encoder_file);
  ASSERT_TRUE(file.ok());
  auto encoder = T5Encoder::Load(**file, m.manifest().text_encoder);
  ASSERT_TRUE(encoder.ok());
  TextConditioner conditioner(**tokenizer, **encoder, static_cast<int>(len));
  for (size_t p = 0; p < prompts_.size(); ++p) {
    std::vector<int32_t> ids, mask;
    conditioner.Tokenize(prompts_[p], &ids, &mask);
    for (int64_t i = 0; i < len; ++i) {
      EXPECT_EQ(ids[i], static_cast<int32_t>(ids_ref.f32()[p * len + i])) << "prompt " << p << " token " << i;
      EXPECT_EQ(mask[i], static_cast<int32_t>(mask_ref.f32()[p * len + i])) << "prompt " << p << " token " << i;
    }
  }
  Tensor txt, y;
  ASSERT_TRUE(conditioner.Encode(pool, prompts_, &txt, &y).ok());
  EXPECT_LE(MaxRel(txt.f32(), Ref("txt")), 1e-3);
  EXPECT_LE(MaxRel(y.f32(), Ref("y")), 1e-4);
}

TEST_F(KilnShapesGoldenTest, ImagesMatchPyTorchAt128) { CheckImages("s128", prompts_, seeds_, 128); }

TEST_F(KilnShapesGoldenTest, ImageMatchesPyTorchAt64) { CheckImages("s64", {prompts_[0]}, {seeds_[0]}, 64); }

}  // namespace
}  // namespace kiln
