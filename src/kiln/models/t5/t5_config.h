// T5Config: the hyper-parameters of a T5 encoder, with the field names of
// Hugging Face's T5Config, so a checkpoint's config.json parses unchanged.
#pragma once

#include <cstdint>
#include <string>

#include "kiln/base/status.h"

namespace kiln {

// The feed-forward of each block (HF feed_forward_proj).
enum class T5FeedForwardProj {
  kRelu,       // "relu": wo(relu(wi(x))), the original T5
  kGatedGelu,  // "gated-gelu": wo(gelu_tanh(wi_0(x)) · wi_1(x)), T5 v1.1 (FLUX.1's text_encoder_2)
};

struct T5Config {
  // Defaults are Hugging Face T5Config's, so absent fields mean what they
  // mean there.
  int64_t vocab_size = 32128;
  int64_t d_model = 512;
  int64_t d_kv = 64;    // width of one attention head; num_heads·d_kv need not equal d_model
  int64_t d_ff = 2048;
  int64_t num_layers = 6;
  int64_t num_heads = 8;
  int64_t relative_attention_num_buckets = 32;
  int64_t relative_attention_max_distance = 128;
  double layer_norm_epsilon = 1e-6;
  T5FeedForwardProj feed_forward_proj = T5FeedForwardProj::kRelu;

  int64_t inner_dim() const { return num_heads * d_kv; }

  // Parses an HF config.json. Fields Kiln does not use are ignored; a used
  // field of the wrong type, or a feed_forward_proj other than "relu" and
  // "gated-gelu", is an error naming it.
  static StatusOr<T5Config> FromJson(const std::string& json);

  // Positive sizes, and enough buckets for the log-spaced half of the
  // relative-position buckets to exist (num_buckets >= 4, max_distance above
  // the exact range).
  Status Validate() const;
};

}  // namespace kiln
