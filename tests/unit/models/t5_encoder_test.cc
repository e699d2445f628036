#include "kiln/models/t5/t5_encoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "kiln/checkpoint/safetensors.h"
#include "testing/tensor_compare.h"

namespace kiln {
namespace {

// The gated-gelu model of the golden test (tests/data/t5_golden): vocab 300,
// d_model 64, 3 layers, 4 heads.
class T5EncoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto file = SafetensorsFile::Open(KILN_SOURCE_DIR "/tests/data/t5_golden/weights.safetensors");
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    file_ = std::move(*file);
    auto config = T5Config::FromJson(file_->metadata().at("config"));
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    config_ = *config;
    auto encoder = T5Encoder::Load(*file_, config_);
    ASSERT_TRUE(encoder.ok()) << encoder.status().ToString();
    encoder_ = std::move(*encoder);
  }

  // (batch, seq_len, d_model)
  Tensor Run(ThreadPool& pool, const std::vector<int32_t>& ids, int64_t batch, const int32_t* mask,
             T5Workspace& ws) const {
    const int64_t seq_len = static_cast<int64_t>(ids.size()) / batch;
    EXPECT_TRUE(encoder_->ValidateInputs(ids.data(), batch, seq_len).ok());
    Tensor out = Tensor::Empty(DType::kF32, {batch, seq_len, config_.d_model});
    encoder_->Forward(pool, ids.data(), batch, seq_len, mask, out.f32(), ws);
    return out;
  }

  std::unique_ptr<SafetensorsFile> file_;
  T5Config config_;
  std::unique_ptr<T5Encoder> encoder_;
};

TEST_F(T5EncoderTest, MaskedPaddingLeavesRealTokensAsWhenRunAlone) {
  ThreadPool pool(2);
  T5Workspace ws;
  const std::vector<int32_t> prompt = {17, 250, 3, 99, 42, 8, 1};
  const Tensor alone = Run(pool, prompt, 1, nullptr, ws);

  std::vector<int32_t> padded = prompt;
  padded.resize(16, 0);
  std::vector<int32_t> mask(16, 0);
  std::fill(mask.begin(), mask.begin() + prompt.size(), 1);
  const Tensor with_padding = Run(pool, padded, 1, mask.data(), ws);
  const Tensor real_tokens =
      Tensor::FromVector(alone.shape(), std::vector<float>(with_padding.f32(), with_padding.f32() + alone.numel()));
  EXPECT_TRUE(test::TensorsClose(real_tokens, alone, 1e-6, 1e-6));

  // Without the mask the padding is attended to, and the output changes.
  const Tensor unmasked = Run(pool, padded, 1, nullptr, ws);
  EXPECT_GT(test::CompareTensors(unmasked, with_padding).max_rel, 1e-3);
}

TEST_F(T5EncoderTest, AllOnesMaskIsNoMask) {
  ThreadPool pool(2);
  T5Workspace ws;
  const std::vector<int32_t> ids = {5, 6, 7, 8, 9, 1, 100, 200, 299, 3, 4, 1};
  const std::vector<int32_t> ones(ids.size(), 1);
  const Tensor a = Run(pool, ids, 2, nullptr, ws);
  const Tensor b = Run(pool, ids, 2, ones.data(), ws);
  EXPECT_EQ(test::CompareTensors(a, b).max_abs_err, 0.0);
}

TEST_F(T5EncoderTest, ResultsDoNotDependOnWorkspaceHistoryOrThreads) {
  ThreadPool one(1), two(2);
  const std::vector<int32_t> small = {12, 13, 14, 1};
  std::vector<int32_t> large(3 * 40);
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<int32_t>((i * 37) % 300);

  T5Workspace fresh;
  const Tensor reference = Run(one, small, 1, nullptr, fresh);
  T5Workspace reused;
  Run(two, large, 3, nullptr, reused);  // grows every buffer
  const Tensor again = Run(two, small, 1, nullptr, reused);
  EXPECT_TRUE(test::TensorsClose(again, reference, 1e-6, 1e-6));
}

TEST_F(T5EncoderTest, ValidateInputsNamesTheBadId) {
  const std::vector<int32_t> ids = {1, 2, 300, 4};
  const Status status = encoder_->ValidateInputs(ids.data(), 2, 2);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("300"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("[1, 0]"), std::string::npos) << status.ToString();

  const std::vector<int32_t> negative = {-1};
  EXPECT_FALSE(encoder_->ValidateInputs(negative.data(), 1, 1).ok());
  EXPECT_FALSE(encoder_->ValidateInputs(ids.data(), 0, 4).ok());
  EXPECT_FALSE(encoder_->ValidateInputs(nullptr, 1, 4).ok());
}

TEST_F(T5EncoderTest, LoadErrorsNameTheTensor) {
  T5Config wider = config_;
  wider.d_ff = 128;
  auto misshapen = T5Encoder::Load(*file_, wider);
  ASSERT_FALSE(misshapen.ok());
  EXPECT_NE(misshapen.status().message().find("encoder.block.0.layer.1.DenseReluDense.wi_0.weight"),
            std::string::npos)
      << misshapen.status().ToString();
  EXPECT_NE(misshapen.status().message().find("weights.safetensors"), std::string::npos);

  T5Config deeper = config_;
  deeper.num_layers = 4;
  auto missing = T5Encoder::Load(*file_, deeper);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("encoder.block.3."), std::string::npos) << missing.status().ToString();

  T5Config relu = config_;
  relu.feed_forward_proj = T5FeedForwardProj::kRelu;
  auto wrong_kind = T5Encoder::Load(*file_, relu);
  ASSERT_FALSE(wrong_kind.ok());
  EXPECT_NE(wrong_kind.status().message().find("DenseReluDense.wi.weight"), std::string::npos)
      << wrong_kind.status().ToString();
}

}  // namespace
}  // namespace kiln
