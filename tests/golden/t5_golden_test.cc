// Parity of the C++ T5Encoder with Hugging Face transformers' T5EncoderModel
// on the committed tests/data/t5_golden (see its README and
// make_t5_golden.py): the final hidden state and every block's output within
// max|out-ref|/max|ref| <= 1e-4 and rel L2 <= 5e-5, for a gated-gelu (T5 v1.1)
// and a relu (original T5) model, with and without an attention mask; and
// the relative-position buckets equal to HF's, bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/thread_pool.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/t5/t5_config.h"
#include "kiln/models/t5/t5_encoder.h"
#include "kiln/models/t5/t5_relative_position.h"
#include "testing/tensor_compare.h"

namespace kiln {
namespace {

constexpr double kMaxRel = 1e-4;
constexpr double kRelL2 = 5e-5;

std::string DataPath(const std::string& name) {
  return std::string(KILN_SOURCE_DIR) + "/tests/data/t5_golden/" + name;
}

std::unique_ptr<SafetensorsFile> OpenOrDie(const std::string& path) {
  auto file = SafetensorsFile::Open(path);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return file.ok() ? std::move(*file) : nullptr;
}

Tensor GetOrDie(const SafetensorsFile& file, const std::string& name) {
  auto tensor = file.Get(name);
  EXPECT_TRUE(tensor.ok()) << tensor.status().ToString();
  return tensor.ok() ? *tensor : Tensor();
}

// EXPECTs out within the golden bounds of ref and records the numbers as a
// test property (visible with --gtest_output=xml), for the parity report.
void ExpectGolden(const std::string& name, const Tensor& out, const Tensor& ref) {
  const auto close = test::TensorsClose(out, ref, kMaxRel, kRelL2);
  ::testing::Test::RecordProperty(name, close.message());
  EXPECT_TRUE(close) << name;
}

struct GoldenCase {
  std::string files;  // prefix of weights/io: "" or "relu_"
  std::string inputs;  // "masked" or "unmasked"
  int threads;
};

std::string CaseName(const ::testing::TestParamInfo<GoldenCase>& info) {
  const std::string model = info.param.files.empty() ? "GatedGelu" : "Relu";
  const std::string inputs = info.param.inputs == "masked" ? "Masked" : "Unmasked";
  return model + inputs + std::to_string(info.param.threads) + "Threads";
}

class T5GoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(T5GoldenTest, MatchesTransformers) {
  const GoldenCase& c = GetParam();
  const auto weights = OpenOrDie(DataPath(c.files + "weights.safetensors"));
  const auto io = OpenOrDie(DataPath(c.files + "io.safetensors"));
  ASSERT_TRUE(weights && io);
  // The HF config.json as the generator wrote it: T5Config::FromJson reads it as is.
  const auto config_json = weights->metadata().find("config");
  ASSERT_NE(config_json, weights->metadata().end());
  auto config = T5Config::FromJson(config_json->second);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto encoder = T5Encoder::Load(*weights, *config);
  ASSERT_TRUE(encoder.ok()) << encoder.status().ToString();

  const Tensor ids = GetOrDie(*io, c.inputs + ".input_ids");
  ASSERT_EQ(ids.dtype(), DType::kI32);
  ASSERT_EQ(ids.rank(), 2);
  const int64_t batch = ids.shape()[0], seq_len = ids.shape()[1];
  const int32_t* id_data = static_cast<const int32_t*>(ids.data());
  const int32_t* mask = nullptr;
  Tensor mask_tensor;
  if (io->Contains(c.inputs + ".attention_mask")) {
    mask_tensor = GetOrDie(*io, c.inputs + ".attention_mask");
    mask = static_cast<const int32_t*>(mask_tensor.data());
  }
  ASSERT_TRUE((*encoder)->ValidateInputs(id_data, batch, seq_len).ok());

  std::map<std::string, Tensor> traced;
  const T5TraceFn trace = [&](std::string_view name, const float* data, const Shape& shape) {
    Tensor copy = Tensor::Empty(DType::kF32, shape);
    std::copy_n(data, copy.numel(), copy.f32());
    traced[std::string(name)] = copy;
  };
  ThreadPool pool(c.threads);
  T5Workspace ws;
  Tensor out = Tensor::Empty(DType::kF32, {batch, seq_len, config->d_model});
  (*encoder)->Forward(pool, id_data, batch, seq_len, mask, out.f32(), ws, trace);

  // Intermediates first: when the output is off, the first block off says where.
  ASSERT_TRUE(traced.count("embeddings"));
  ExpectGolden(c.inputs + ".embeddings", traced["embeddings"], GetOrDie(*io, c.inputs + ".embeddings"));
  for (int64_t i = 0; i < config->num_layers; ++i) {
    const std::string name = "block." + std::to_string(i) + ".output";
    ASSERT_TRUE(traced.count(name)) << name;
    ExpectGolden(c.inputs + "." + name, traced[name], GetOrDie(*io, c.inputs + "." + name));
  }
  ExpectGolden(c.inputs + ".last_hidden_state", out, GetOrDie(*io, c.inputs + ".last_hidden_state"));
}

INSTANTIATE_TEST_SUITE_P(T5, T5GoldenTest,
                         ::testing::Values(GoldenCase{"", "masked", 1}, GoldenCase{"", "masked", 2},
                                           GoldenCase{"", "unmasked", 2}, GoldenCase{"relu_", "masked", 2},
                                           GoldenCase{"relu_", "unmasked", 1}),
                         CaseName);

// HF computes the log-spaced buckets in float32; at offsets where the real
// value is a whole number (64 for T5's default 32 buckets / 128 distance) any
// other rounding changes the bucket. The table covers offsets −600 … 600.
TEST(T5GoldenBucketsTest, RelativePositionBucketsMatchTransformers) {
  const auto io = OpenOrDie(DataPath("io.safetensors"));
  ASSERT_TRUE(io);
  for (const int64_t max_distance : {64, 128}) {
    const Tensor ref = GetOrDie(*io, "relative_position_bucket.nb32_md" + std::to_string(max_distance));
    ASSERT_EQ(ref.numel(), 1201);
    const int32_t* expected = static_cast<const int32_t*>(ref.data());
    for (int64_t i = 0; i < ref.numel(); ++i) {
      const int64_t offset = i - 600;
      EXPECT_EQ(T5RelativePositionBucket(offset, 32, max_distance), expected[i])
          << "offset " << offset << ", max_distance " << max_distance;
    }
  }
}

}  // namespace
}  // namespace kiln
