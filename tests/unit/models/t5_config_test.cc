#include "kiln/models/t5/t5_config.h"

#include <gtest/gtest.h>

#include <string>

namespace kiln {
namespace {

// google/t5-v1_1-xxl's config.json, as FLUX.1's text_encoder_2 ships it
// (fields Kiln does not use included, to show they are ignored).
constexpr const char* kT5V11XxlConfig = R"({
  "architectures": ["T5EncoderModel"], "classifier_dropout": 0.0, "d_ff": 10240, "d_kv": 64,
  "d_model": 4096, "decoder_start_token_id": 0, "dense_act_fn": "gelu_new", "dropout_rate": 0.1,
  "eos_token_id": 1, "feed_forward_proj": "gated-gelu", "initializer_factor": 1.0,
  "is_encoder_decoder": true, "is_gated_act": true, "layer_norm_epsilon": 1e-06,
  "model_type": "t5", "num_decoder_layers": 24, "num_heads": 64, "num_layers": 24,
  "output_past": true, "pad_token_id": 0, "relative_attention_max_distance": 128,
  "relative_attention_num_buckets": 32, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
  "transformers_version": "4.43.3", "use_cache": true, "vocab_size": 32128})";

TEST(T5ConfigTest, ParsesHuggingFaceConfigJson) {
  auto c = T5Config::FromJson(kT5V11XxlConfig);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->vocab_size, 32128);
  EXPECT_EQ(c->d_model, 4096);
  EXPECT_EQ(c->d_kv, 64);
  EXPECT_EQ(c->d_ff, 10240);
  EXPECT_EQ(c->num_layers, 24);
  EXPECT_EQ(c->num_heads, 64);
  EXPECT_EQ(c->inner_dim(), 4096);
  EXPECT_EQ(c->relative_attention_num_buckets, 32);
  EXPECT_EQ(c->relative_attention_max_distance, 128);
  EXPECT_DOUBLE_EQ(c->layer_norm_epsilon, 1e-6);
  EXPECT_EQ(c->feed_forward_proj, T5FeedForwardProj::kGatedGelu);
}

TEST(T5ConfigTest, DefaultsAreHuggingFaceT5Config) {
  auto c = T5Config::FromJson("{}");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->vocab_size, 32128);
  EXPECT_EQ(c->d_model, 512);
  EXPECT_EQ(c->d_ff, 2048);
  EXPECT_EQ(c->num_layers, 6);
  EXPECT_EQ(c->num_heads, 8);
  EXPECT_EQ(c->feed_forward_proj, T5FeedForwardProj::kRelu);
}

TEST(T5ConfigTest, ErrorsNameTheField) {
  auto wrong_type = T5Config::FromJson(R"({"d_model": "wide"})");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong_type.status().message().find("d_model"), std::string::npos);

  auto fractional = T5Config::FromJson(R"({"num_heads": 8.5})");
  ASSERT_FALSE(fractional.ok());
  EXPECT_NE(fractional.status().message().find("num_heads"), std::string::npos);

  auto silu = T5Config::FromJson(R"({"feed_forward_proj": "gated-silu"})");
  ASSERT_FALSE(silu.ok());
  EXPECT_EQ(silu.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(silu.status().message().find("gated-silu"), std::string::npos);

  auto buckets = T5Config::FromJson(R"({"relative_attention_num_buckets": 2})");
  ASSERT_FALSE(buckets.ok());
  EXPECT_NE(buckets.status().message().find("relative_attention_num_buckets"), std::string::npos);

  auto distance = T5Config::FromJson(R"({"relative_attention_num_buckets": 32, "relative_attention_max_distance": 8})");
  ASSERT_FALSE(distance.ok());
  EXPECT_NE(distance.status().message().find("relative_attention_max_distance"), std::string::npos);

  auto no_layers = T5Config::FromJson(R"({"num_layers": 0})");
  ASSERT_FALSE(no_layers.ok());
  EXPECT_NE(no_layers.status().message().find("num_layers"), std::string::npos);

  EXPECT_FALSE(T5Config::FromJson("[1, 2]").ok());
  EXPECT_FALSE(T5Config::FromJson("{not json").ok());
}

}  // namespace
}  // namespace kiln
