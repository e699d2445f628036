#include "kiln/models/bert/bert_encoder.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kiln/base/file_util.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/bert/sentence_embedder.h"
#include "testing/tensor_compare.h"

namespace kiln {
namespace {

// A tiny random BERT (HF key names) written to a temp file: hidden 16, 4
// heads, 2 layers, intermediate 24, vocabulary 50, 32 positions.
BertConfig TinyConfig() {
  BertConfig c;
  c.vocab_size = 50;
  c.hidden_size = 16;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.intermediate_size = 24;
  c.max_position_embeddings = 32;
  c.type_vocab_size = 2;
  return c;
}

Tensor Random(const Shape& shape, uint32_t seed, float mean, float stddev) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gauss(mean, stddev);
  Tensor t = Tensor::Empty(DType::kF32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = gauss(rng);
  return t;
}

std::vector<std::pair<std::string, Tensor>> TinyWeights(const BertConfig& c, const std::string& prefix = "") {
  const int64_t h = c.hidden_size, inter = c.intermediate_size;
  std::vector<std::pair<std::string, Tensor>> w;
  uint32_t seed = 1;
  auto add = [&](const std::string& name, const Shape& shape, float mean, float stddev) {
    w.emplace_back(prefix + name, Random(shape, seed++, mean, stddev));
  };
  add("embeddings.word_embeddings.weight", {c.vocab_size, h}, 0.0f, 1.0f);
  add("embeddings.position_embeddings.weight", {c.max_position_embeddings, h}, 0.0f, 0.5f);
  add("embeddings.token_type_embeddings.weight", {c.type_vocab_size, h}, 0.0f, 0.5f);
  add("embeddings.LayerNorm.weight", {h}, 1.0f, 0.2f);
  add("embeddings.LayerNorm.bias", {h}, 0.0f, 0.2f);
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    std::string l = "encoder.layer.";
    l.append(std::to_string(i)).append(".");
    for (const char* name : {"attention.self.query", "attention.self.key", "attention.self.value",
                             "attention.output.dense"}) {
      add(l + name + ".weight", {h, h}, 0.0f, 0.4f);
      add(l + name + ".bias", {h}, 0.0f, 0.1f);
    }
    add(l + "attention.output.LayerNorm.weight", {h}, 1.0f, 0.2f);
    add(l + "attention.output.LayerNorm.bias", {h}, 0.0f, 0.2f);
    add(l + "intermediate.dense.weight", {inter, h}, 0.0f, 0.4f);
    add(l + "intermediate.dense.bias", {inter}, 0.0f, 0.1f);
    add(l + "output.dense.weight", {h, inter}, 0.0f, 0.3f);
    add(l + "output.dense.bias", {h}, 0.0f, 0.1f);
    add(l + "output.LayerNorm.weight", {h}, 1.0f, 0.2f);
    add(l + "output.LayerNorm.bias", {h}, 0.0f, 0.2f);
  }
  return w;
}

std::unique_ptr<SafetensorsFile> WriteAndOpen(const std::vector<std::pair<std::string, Tensor>>& weights,
                                              const std::string& name) {
  const std::string path = ::testing::TempDir() + "/bert_encoder_test_" + name + ".safetensors";
  const Status written = WriteSafetensors(path, weights);
  EXPECT_TRUE(written.ok()) << written.ToString();
  auto file = SafetensorsFile::Open(path);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return file.ok() ? std::move(*file) : nullptr;
}

class BertEncoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = TinyConfig();
    auto file = WriteAndOpen(TinyWeights(config_), "tiny");
    ASSERT_NE(file, nullptr);
    auto encoder = BertEncoder::Load(*file, config_);
    ASSERT_TRUE(encoder.ok()) << encoder.status().ToString();
    encoder_ = std::move(*encoder);
  }

  // (batch, seq_len, hidden)
  Tensor Run(ThreadPool& pool, const std::vector<int32_t>& ids, int64_t batch, const int32_t* mask,
             BertWorkspace& ws, const int32_t* types = nullptr) const {
    const int64_t seq_len = static_cast<int64_t>(ids.size()) / batch;
    EXPECT_TRUE(encoder_->ValidateInputs(ids.data(), types, batch, seq_len).ok());
    Tensor out = Tensor::Empty(DType::kF32, {batch, seq_len, config_.hidden_size});
    encoder_->Forward(pool, ids.data(), types, mask, batch, seq_len, out.f32(), ws);
    return out;
  }

  BertConfig config_;
  std::unique_ptr<BertEncoder> encoder_;
};

Tensor Rows(const Tensor& t, int64_t first_row, int64_t rows) {
  const int64_t dim = t.shape().back();
  return Tensor::FromVector({rows, dim}, std::vector<float>(t.f32() + first_row * dim,
                                                            t.f32() + (first_row + rows) * dim));
}

TEST_F(BertEncoderTest, MaskedPaddingLeavesRealTokensAsWhenRunAlone) {
  ThreadPool pool(2);
  BertWorkspace ws;
  const std::vector<int32_t> prompt = {2, 17, 30, 8, 3};
  const Tensor alone = Run(pool, prompt, 1, nullptr, ws);

  std::vector<int32_t> padded = prompt;
  padded.resize(12, 0);
  std::vector<int32_t> mask(12, 0);
  std::fill(mask.begin(), mask.begin() + static_cast<std::ptrdiff_t>(prompt.size()), 1);
  const Tensor with_padding = Run(pool, padded, 1, mask.data(), ws);
  EXPECT_TRUE(test::TensorsClose(Rows(with_padding, 0, 5), Rows(alone, 0, 5), 1e-5, 1e-6));

  // Without the mask the padding is attended to, and the output changes.
  const Tensor unmasked = Run(pool, padded, 1, nullptr, ws);
  EXPECT_GT(test::CompareTensors(Rows(unmasked, 0, 5), Rows(alone, 0, 5)).max_rel, 1e-3);
}

TEST_F(BertEncoderTest, BatchRowsAreIndependent) {
  ThreadPool pool(2);
  BertWorkspace ws;
  const std::vector<int32_t> a = {2, 5, 6, 7, 8, 9, 3}, b = {2, 40, 41, 3, 0, 0, 0};
  const std::vector<int32_t> mask = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0};
  std::vector<int32_t> both = a;
  both.insert(both.end(), b.begin(), b.end());
  const Tensor batched = Run(pool, both, 2, mask.data(), ws);
  const Tensor a_alone = Run(pool, a, 1, nullptr, ws);
  const Tensor b_alone = Run(pool, {2, 40, 41, 3}, 1, nullptr, ws);
  EXPECT_TRUE(test::TensorsClose(Rows(batched, 0, 7), Rows(a_alone, 0, 7), 1e-5, 1e-6));
  EXPECT_TRUE(test::TensorsClose(Rows(batched, 7, 4), Rows(b_alone, 0, 4), 1e-5, 1e-6));
}

TEST_F(BertEncoderTest, PackedSentencesEqualPaddedRowsAndMeanPool) {
  // Three sentences of lengths 7, 4 and 11 (token types on the last), packed
  // end to end, against the padded, masked forward of the same batch.
  const std::vector<std::vector<int32_t>> sentences = {
      {2, 5, 6, 7, 8, 9, 3}, {2, 40, 41, 3}, {2, 11, 12, 13, 14, 15, 16, 17, 18, 19, 3}};
  const int64_t batch = 3, seq_len = 11, dim = config_.hidden_size;
  std::vector<int32_t> padded(batch * seq_len, 0), mask(batch * seq_len, 0), types(batch * seq_len, 0);
  std::vector<int32_t> packed, packed_types;
  std::vector<int64_t> offsets = {0};
  for (int64_t b = 0; b < batch; ++b) {
    for (size_t t = 0; t < sentences[b].size(); ++t) {
      padded[b * seq_len + t] = sentences[b][t];
      mask[b * seq_len + t] = 1;
      types[b * seq_len + t] = b == 2 && t % 2 == 1 ? 1 : 0;
      packed.push_back(sentences[b][t]);
      packed_types.push_back(types[b * seq_len + t]);
    }
    offsets.push_back(static_cast<int64_t>(packed.size()));
  }
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    BertWorkspace ws;
    const Tensor want = Run(pool, padded, batch, mask.data(), ws, types.data());
    Tensor got = Tensor::Empty(DType::kF32, {offsets.back(), dim});
    encoder_->ForwardPacked(pool, packed.data(), packed_types.data(), offsets.data(), batch, got.f32(), ws);
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t len = offsets[b + 1] - offsets[b];
      EXPECT_TRUE(test::TensorsClose(Rows(got, offsets[b], len), Rows(want, b * seq_len, len), 1e-5, 1e-6))
          << "sentence " << b << ", " << threads << " threads";
    }
    std::vector<float> pooled_want(batch * dim), pooled_got(batch * dim);
    MeanPool(want.f32(), mask.data(), batch, seq_len, dim, true, pooled_want.data());
    MeanPoolPacked(got.f32(), offsets.data(), batch, dim, true, pooled_got.data());
    EXPECT_TRUE(test::TensorsClose(Tensor::FromVector({batch, dim}, pooled_got),
                                   Tensor::FromVector({batch, dim}, pooled_want), 1e-5, 1e-6));
  }
}

TEST_F(BertEncoderTest, TokenTypesMatter) {
  ThreadPool pool(1);
  BertWorkspace ws;
  const std::vector<int32_t> ids = {2, 5, 6, 3}, zeros(4, 0), ones(4, 1);
  const Tensor none = Run(pool, ids, 1, nullptr, ws);
  const Tensor type0 = Run(pool, ids, 1, nullptr, ws, zeros.data());
  const Tensor type1 = Run(pool, ids, 1, nullptr, ws, ones.data());
  EXPECT_EQ(test::CompareTensors(none, type0).max_abs_err, 0.0);
  EXPECT_GT(test::CompareTensors(type1, type0).max_rel, 1e-3);
}

TEST_F(BertEncoderTest, ResultsDoNotDependOnWorkspaceHistoryOrThreads) {
  ThreadPool one(1), two(2);
  const std::vector<int32_t> small = {2, 12, 13, 3};
  std::vector<int32_t> large(3 * 30);
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<int32_t>(i % 50);
  BertWorkspace fresh, used;
  const Tensor want = Run(one, small, 1, nullptr, fresh);
  Run(two, large, 3, nullptr, used);
  const Tensor got = Run(two, small, 1, nullptr, used);
  EXPECT_TRUE(test::TensorsClose(got, want, 1e-6, 1e-6));
}

TEST_F(BertEncoderTest, ValidateInputsNamesTheBadValue) {
  const std::vector<int32_t> ids = {2, 50, 3};
  const Status bad_id = encoder_->ValidateInputs(ids.data(), nullptr, 1, 3);
  ASSERT_FALSE(bad_id.ok());
  EXPECT_NE(bad_id.message().find("50"), std::string::npos) << bad_id.ToString();
  const std::vector<int32_t> ok_ids = {2, 5, 3}, types = {0, 2, 0};
  EXPECT_FALSE(encoder_->ValidateInputs(ok_ids.data(), types.data(), 1, 3).ok());
  std::vector<int32_t> too_long(33, 5);
  EXPECT_FALSE(encoder_->ValidateInputs(too_long.data(), nullptr, 1, 33).ok());
  EXPECT_FALSE(encoder_->ValidateInputs(nullptr, nullptr, 1, 3).ok());
}

TEST(BertEncoderLoadTest, MissingOrMisshapenTensorIsNamed) {
  const BertConfig config = TinyConfig();
  auto weights = TinyWeights(config);
  weights.erase(weights.begin() + 6);  // layer 0's query bias
  const std::string missing = "encoder.layer.0.attention.self.query.bias";
  auto file = WriteAndOpen(weights, "missing");
  ASSERT_NE(file, nullptr);
  auto encoder = BertEncoder::Load(*file, config);
  ASSERT_FALSE(encoder.ok());
  EXPECT_NE(encoder.status().message().find(missing), std::string::npos) << encoder.status().ToString();

  BertConfig wider = config;
  wider.intermediate_size = 32;
  auto full = WriteAndOpen(TinyWeights(config), "full");
  ASSERT_NE(full, nullptr);
  auto misshapen = BertEncoder::Load(*full, wider);
  ASSERT_FALSE(misshapen.ok());
  EXPECT_NE(misshapen.status().message().find("intermediate.dense"), std::string::npos)
      << misshapen.status().ToString();
}

TEST(BertEncoderLoadTest, AcceptsTheBertPrefix) {
  const BertConfig config = TinyConfig();
  auto file = WriteAndOpen(TinyWeights(config, "bert."), "prefixed");
  ASSERT_NE(file, nullptr);
  EXPECT_TRUE(BertEncoder::Load(*file, config).ok());
}

// A sentence-transformers directory around the tiny BERT: the loader's
// checks and the whole Embed path, without the real model.
class BertSentenceEmbedderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One directory per test and process: ctest runs the tests of this suite in parallel.
    dir_ = ::testing::TempDir() + "/bert_sentence_embedder_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ + "/1_Pooling");
    std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ncat\nsat\n.\n";
    for (int i = 9; i < 50; ++i) vocab.append("w").append(std::to_string(i)).append("\n");
    Write("vocab.txt", vocab);
    Write("config.json", R"({"vocab_size": 50, "hidden_size": 16, "num_hidden_layers": 2,
        "num_attention_heads": 4, "intermediate_size": 24, "max_position_embeddings": 32,
        "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12})");
    Write("sentence_bert_config.json", R"({"max_seq_length": 8, "do_lower_case": false})");
    Write("1_Pooling/config.json", R"({"word_embedding_dimension": 16, "pooling_mode_cls_token": false,
        "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false,
        "pooling_mode_mean_sqrt_len_tokens": false})");
    Write("modules.json", R"([{"idx": 0, "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "type": "sentence_transformers.models.Normalize"}])");
    ASSERT_TRUE(WriteSafetensors(dir_ + "/model.safetensors", TinyWeights(TinyConfig())).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(WriteStringToFile(dir_ + "/" + name, text).ok()) << name;
  }

  std::string dir_;
};

TEST_F(BertSentenceEmbedderTest, EmbedsUnitVectorsAndCutsLongTexts) {
  auto embedder = SentenceEmbedder::Load(dir_);
  ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
  EXPECT_EQ((*embedder)->dim(), 16);
  EXPECT_EQ((*embedder)->max_seq_length(), 8);
  EXPECT_TRUE((*embedder)->normalize());
  ThreadPool pool(2);
  SentenceEmbedderWorkspace ws;
  const std::vector<std::string> texts = {"The cat sat.", "the the the the the the the the the the", ""};
  std::vector<float> out(texts.size() * 16);
  (*embedder)->Embed(pool, texts, out.data(), ws);
  EXPECT_EQ(ws.tokens.seq_len, 8);
  for (size_t b = 0; b < texts.size(); ++b) {
    double norm = 0.0;
    for (int i = 0; i < 16; ++i) norm += static_cast<double>(out[b * 16 + i]) * out[b * 16 + i];
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-5) << texts[b];
  }
  // Alone, unpadded: the same embedding as in the padded batch.
  std::vector<float> alone(16);
  (*embedder)->Embed(pool, {texts[0]}, alone.data(), ws);
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(alone[i], out[i], 1e-5);
}

TEST_F(BertSentenceEmbedderTest, UnsupportedOrMissingConfigurationIsNamed) {
  Write("1_Pooling/config.json", R"({"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false})");
  auto cls = SentenceEmbedder::Load(dir_);
  ASSERT_FALSE(cls.ok());
  EXPECT_NE(cls.status().message().find("1_Pooling/config.json"), std::string::npos) << cls.status().ToString();

  SetUp();
  Write("sentence_bert_config.json", R"({"max_seq_length": 64})");  // above max_position_embeddings 32
  auto too_long = SentenceEmbedder::Load(dir_);
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("max_seq_length"), std::string::npos) << too_long.status().ToString();

  SetUp();
  Write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
  auto short_vocab = SentenceEmbedder::Load(dir_);
  ASSERT_FALSE(short_vocab.ok());
  EXPECT_NE(short_vocab.status().message().find("vocab_size"), std::string::npos) << short_vocab.status().ToString();

  SetUp();
  std::filesystem::remove(dir_ + "/modules.json");
  auto missing = SentenceEmbedder::Load(dir_);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("modules.json"), std::string::npos) << missing.status().ToString();
}

TEST(BertMeanPoolTest, AveragesRealTokensThenNormalises) {
  // batch 2, 3 tokens, dim 2; row 1 has one padding token.
  const std::vector<float> hidden = {1, 2, 3, 4, 5, 6, /**/ 3, 0, 1, 0, 100, 100};
  const std::vector<int32_t> mask = {1, 1, 1, 1, 1, 0};
  std::vector<float> out(4);
  MeanPool(hidden.data(), mask.data(), 2, 3, 2, false, out.data());
  EXPECT_FLOAT_EQ(out[0], 3.0f);
  EXPECT_FLOAT_EQ(out[1], 4.0f);
  EXPECT_FLOAT_EQ(out[2], 2.0f);
  EXPECT_FLOAT_EQ(out[3], 0.0f);
  MeanPool(hidden.data(), mask.data(), 2, 3, 2, true, out.data());
  EXPECT_FLOAT_EQ(out[0], 0.6f);
  EXPECT_FLOAT_EQ(out[1], 0.8f);
  EXPECT_FLOAT_EQ(out[2], 1.0f);
  EXPECT_FLOAT_EQ(out[3], 0.0f);
  // No real token at all: zeros, not NaN (the 1e-9 and 1e-12 floors).
  const std::vector<int32_t> none = {0, 0, 0};
  MeanPool(hidden.data(), none.data(), 1, 3, 2, true, out.data());
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[1], 0.0f);
}

}  // namespace
}  // namespace kiln
