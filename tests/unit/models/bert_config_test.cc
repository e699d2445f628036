#include "kiln/models/bert/bert_config.h"

#include <gtest/gtest.h>

#include <string>

namespace kiln {
namespace {

// sentence-transformers/all-MiniLM-L6-v2's config.json.
constexpr const char* kMiniLmConfig = R"({
  "_name_or_path": "nreimers/MiniLM-L6-H384-uncased", "architectures": ["BertModel"],
  "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": false, "hidden_act": "gelu",
  "hidden_dropout_prob": 0.1, "hidden_size": 384, "initializer_range": 0.02,
  "intermediate_size": 1536, "layer_norm_eps": 1e-12, "max_position_embeddings": 512,
  "model_type": "bert", "num_attention_heads": 12, "num_hidden_layers": 6, "pad_token_id": 0,
  "position_embedding_type": "absolute", "transformers_version": "4.8.2", "type_vocab_size": 2,
  "use_cache": true, "vocab_size": 30522})";

TEST(BertConfigTest, ParsesMiniLmConfigJson) {
  auto c = BertConfig::FromJson(kMiniLmConfig);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->vocab_size, 30522);
  EXPECT_EQ(c->hidden_size, 384);
  EXPECT_EQ(c->num_hidden_layers, 6);
  EXPECT_EQ(c->num_attention_heads, 12);
  EXPECT_EQ(c->head_dim(), 32);
  EXPECT_EQ(c->intermediate_size, 1536);
  EXPECT_EQ(c->max_position_embeddings, 512);
  EXPECT_EQ(c->type_vocab_size, 2);
  EXPECT_DOUBLE_EQ(c->layer_norm_eps, 1e-12);
  EXPECT_EQ(c->hidden_act, BertActivation::kGeluErf);
}

TEST(BertConfigTest, DefaultsAreBertBase) {
  auto c = BertConfig::FromJson("{}");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->hidden_size, 768);
  EXPECT_EQ(c->num_hidden_layers, 12);
  EXPECT_EQ(c->intermediate_size, 3072);
}

TEST(BertConfigTest, TanhGeluVariants) {
  for (const char* act : {"gelu_new", "gelu_pytorch_tanh"}) {
    auto c = BertConfig::FromJson(std::string(R"({"hidden_act": ")") + act + "\"}");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->hidden_act, BertActivation::kGeluTanh) << act;
  }
}

TEST(BertConfigTest, ErrorsNameTheField) {
  auto relu = BertConfig::FromJson(R"({"hidden_act": "relu"})");
  ASSERT_FALSE(relu.ok());
  EXPECT_NE(relu.status().message().find("hidden_act"), std::string::npos);
  auto relative = BertConfig::FromJson(R"({"position_embedding_type": "relative_key"})");
  ASSERT_FALSE(relative.ok());
  EXPECT_NE(relative.status().message().find("position_embedding_type"), std::string::npos);
  auto heads = BertConfig::FromJson(R"({"hidden_size": 100, "num_attention_heads": 12})");
  ASSERT_FALSE(heads.ok());
  EXPECT_NE(heads.status().message().find("num_attention_heads"), std::string::npos);
  auto type = BertConfig::FromJson(R"({"hidden_size": "384"})");
  ASSERT_FALSE(type.ok());
  EXPECT_NE(type.status().message().find("hidden_size"), std::string::npos);
  EXPECT_FALSE(BertConfig::FromJson("[1, 2]").ok());
}

}  // namespace
}  // namespace kiln
