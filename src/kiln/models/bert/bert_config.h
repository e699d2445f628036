// BertConfig: the hyper-parameters of a BERT encoder, with the field names of
// Hugging Face's BertConfig, so a checkpoint's config.json (all-MiniLM-L6-v2's,
// for one) parses unchanged.
#pragma once

#include <cstdint>
#include <string>

#include "kiln/base/status.h"

namespace kiln {

// The feed-forward activation (HF hidden_act).
enum class BertActivation {
  kGeluErf,   // "gelu": exact, erf-based (BERT, MiniLM)
  kGeluTanh,  // "gelu_new", "gelu_pytorch_tanh": the tanh approximation
};

struct BertConfig {
  // Defaults are Hugging Face BertConfig's (bert-base), so absent fields mean
  // what they mean there.
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  int64_t pad_token_id = 0;
  double layer_norm_eps = 1e-12;
  BertActivation hidden_act = BertActivation::kGeluErf;

  int64_t head_dim() const { return hidden_size / num_attention_heads; }

  // Parses an HF config.json. Fields Kiln does not use are ignored (dropout,
  // initializer_range, …); a used field of the wrong type, a hidden_act other
  // than the GELUs, or a position_embedding_type other than "absolute" is an
  // error naming it.
  static StatusOr<BertConfig> FromJson(const std::string& json);

  // Positive sizes, hidden_size divisible by num_attention_heads.
  Status Validate() const;
};

}  // namespace kiln
