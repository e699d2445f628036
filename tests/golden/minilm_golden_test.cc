// Parity of the C++ all-MiniLM-L6-v2 (WordPieceTokenizer + BertEncoder +
// mean pooling + normalisation, models/bert/sentence_embedder.h) with the
// PyPI reference: BertTokenizerFast, transformers' BertModel and
// sentence-transformers' SentenceTransformer (tests/data/minilm_golden,
// make_golden.py). Ids equal exactly; hidden states and embeddings within
// 1e-4 max abs and max|out−ref|/max|ref|. The model comes from
// models/minilm-l6-v2 (scripts/fetch_minilm.sh; KILN_MINILM_DIR overrides);
// the tests skip when it is absent.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/base/thread_pool.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/bert/sentence_embedder.h"
#include "testing/tensor_compare.h"

namespace kiln {
namespace {

constexpr double kMaxAbs = 1e-4;
constexpr double kMaxRel = 1e-4;

const int32_t* I32(const Tensor& t) {
  EXPECT_EQ(t.dtype(), DType::kI32);
  return static_cast<const int32_t*>(t.data());
}

std::string ModelDir() {
  const char* env = std::getenv("KILN_MINILM_DIR");
  return env != nullptr ? env : std::string(KILN_SOURCE_DIR) + "/models/minilm-l6-v2";
}

class MiniLmGoldenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(ModelDir() + "/model.safetensors")) return;
    auto embedder = SentenceEmbedder::Load(ModelDir());
    ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
    embedder_ = std::move(*embedder).release();
    auto golden = SafetensorsFile::Open(std::string(KILN_SOURCE_DIR) + "/tests/data/minilm_golden/golden.safetensors");
    ASSERT_TRUE(golden.ok()) << golden.status().ToString();
    golden_ = std::move(*golden).release();
  }
  static void TearDownTestSuite() {
    delete embedder_;
    embedder_ = nullptr;
    delete golden_;
    golden_ = nullptr;
  }
  void SetUp() override {
    if (embedder_ == nullptr) {
      GTEST_SKIP() << ModelDir() << "/model.safetensors is absent: run scripts/fetch_minilm.sh";
    }
  }

  static Tensor Golden(const std::string& name) {
    auto tensor = golden_->Get(name);
    EXPECT_TRUE(tensor.ok()) << tensor.status().ToString();
    return tensor.ok() ? *tensor : Tensor();
  }
  static std::vector<std::string> GoldenTexts(const std::string& key) {
    return nlohmann::json::parse(golden_->metadata().at(key)).get<std::vector<std::string>>();
  }
  static std::vector<int32_t> Ints(const Tensor& t) {
    return std::vector<int32_t>(I32(t), I32(t) + t.numel());
  }

  // EXPECTs max|out−ref| <= kMaxAbs and max|out−ref|/max|ref| <= kMaxRel,
  // and records the numbers (--gtest_output=xml) for the parity report.
  static void ExpectClose(const std::string& name, const Tensor& out, const Tensor& ref) {
    ASSERT_EQ(out.shape(), ref.shape()) << name;
    const TensorDiff diff = test::CompareTensors(out, ref);
    ::testing::Test::RecordProperty(name, diff.ToString());
    EXPECT_LE(diff.max_abs_err, kMaxAbs) << name << ": " << diff.ToString();
    EXPECT_LE(diff.max_rel, kMaxRel) << name << ": " << diff.ToString();
  }

  static SentenceEmbedder* embedder_;
  static SafetensorsFile* golden_;
};

SentenceEmbedder* MiniLmGoldenTest::embedder_ = nullptr;
SafetensorsFile* MiniLmGoldenTest::golden_ = nullptr;

TEST_F(MiniLmGoldenTest, LoadsTheSentenceTransformersConfiguration) {
  EXPECT_EQ(embedder_->dim(), 384);
  EXPECT_EQ(embedder_->max_seq_length(), 256);
  EXPECT_TRUE(embedder_->normalize());
  EXPECT_EQ(embedder_->encoder().config().num_hidden_layers, 6);
  EXPECT_EQ(embedder_->encoder().config().hidden_act, BertActivation::kGeluErf);
}

TEST_F(MiniLmGoldenTest, BatchIdsAndMaskEqualSentenceTransformers) {
  WordPieceBatch batch;
  embedder_->tokenizer().EncodeBatch(GoldenTexts("texts"), embedder_->max_seq_length(), &batch);
  const Tensor ids = Golden("embed.input_ids");
  ASSERT_EQ(batch.batch, ids.shape()[0]);
  ASSERT_EQ(batch.seq_len, ids.shape()[1]);
  EXPECT_EQ(batch.input_ids, Ints(ids));
  EXPECT_EQ(batch.attention_mask, Ints(Golden("embed.attention_mask")));
}

TEST_F(MiniLmGoldenTest, LastHiddenStateMatchesBertModel) {
  const Tensor ids = Golden("hidden.input_ids");
  const Tensor mask = Golden("hidden.attention_mask");
  const Tensor ref = Golden("hidden.last_hidden_state");
  const int64_t batch = ids.shape()[0], seq_len = ids.shape()[1];
  WordPieceBatch tokens;
  embedder_->tokenizer().EncodeBatch(GoldenTexts("hidden_texts"), 256, &tokens);
  EXPECT_EQ(tokens.input_ids, Ints(ids));
  EXPECT_EQ(tokens.attention_mask, Ints(mask));
  ASSERT_TRUE(embedder_->encoder().ValidateInputs(I32(ids), nullptr, batch, seq_len).ok());
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    BertWorkspace ws;
    Tensor out = Tensor::Empty(DType::kF32, ref.shape());
    embedder_->encoder().Forward(pool, I32(ids), nullptr, I32(mask), batch, seq_len, out.f32(), ws);
    // Padding rows are not compared: HF's are as arbitrary as ours, and
    // pooling never reads them.
    std::vector<float> got, want;
    const int64_t dim = ref.shape()[2];
    for (int64_t r = 0; r < batch * seq_len; ++r) {
      if (I32(mask)[r] == 0) continue;
      got.insert(got.end(), out.f32() + r * dim, out.f32() + (r + 1) * dim);
      want.insert(want.end(), ref.f32() + r * dim, ref.f32() + (r + 1) * dim);
    }
    const Shape shape = {static_cast<int64_t>(got.size()) / dim, dim};
    std::string name = "last_hidden_state.threads";
    name.append(std::to_string(threads));
    ExpectClose(name, Tensor::FromVector(shape, got), Tensor::FromVector(shape, want));
  }
}

TEST_F(MiniLmGoldenTest, EmbeddingsMatchSentenceTransformers) {
  const std::vector<std::string> texts = GoldenTexts("texts");
  const Tensor ref = Golden("embed.embeddings");
  ASSERT_EQ(ref.shape(), (Shape{static_cast<int64_t>(texts.size()), 384}));
  ThreadPool pool(2);
  SentenceEmbedderWorkspace ws;
  Tensor out = Tensor::Empty(DType::kF32, ref.shape());
  embedder_->Embed(pool, texts, out.f32(), ws);
  ExpectClose("embeddings.batch", out, ref);
  for (int64_t b = 0; b < ref.shape()[0]; ++b) {
    double norm = 0.0;
    for (int64_t i = 0; i < 384; ++i) norm += static_cast<double>(out.f32()[b * 384 + i]) * out.f32()[b * 384 + i];
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-5) << "row " << b;
  }

  // One at a time (no padding), through the same workspace (grown, then
  // reused at smaller sizes): the same embeddings.
  Tensor single = Tensor::Empty(DType::kF32, ref.shape());
  ThreadPool one(1);
  for (size_t b = 0; b < texts.size(); ++b) {
    embedder_->Embed(one, {texts[b]}, single.f32() + b * 384, ws);
  }
  ExpectClose("embeddings.one_by_one", single, ref);

  // The padded reference path agrees too.
  Tensor padded = Tensor::Empty(DType::kF32, ref.shape());
  embedder_->EmbedPadded(pool, texts, padded.f32(), ws);
  ExpectClose("embeddings.padded", padded, ref);
}

TEST_F(MiniLmGoldenTest, LongTextsAreCutToMaxSeqLength) {
  std::string long_text;
  for (int i = 0; i < 400; ++i) long_text.append("word ");
  WordPieceBatch batch;
  embedder_->tokenizer().EncodeBatch({long_text, "short"}, embedder_->max_seq_length(), &batch);
  EXPECT_EQ(batch.seq_len, 256);
  ThreadPool pool(2);
  SentenceEmbedderWorkspace ws;
  std::vector<float> out(2 * 384);
  embedder_->Embed(pool, {long_text, "short"}, out.data(), ws);
  for (const float x : out) ASSERT_TRUE(std::isfinite(x));
}

}  // namespace
}  // namespace kiln
