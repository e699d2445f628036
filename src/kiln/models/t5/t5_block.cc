#include "kiln/models/t5/t5_block.h"

#include <string>

#include "kiln/kernels/cpu/elementwise.h"
#include "kiln/kernels/cpu/norm.h"

namespace kiln {

StatusOr<T5Block> T5Block::Load(const WeightLoader& weights, int64_t index, const T5Config& config) {
  const std::string prefix = "encoder.block." + std::to_string(index) + ".layer.";
  T5Block block;
  block.layer_norm_epsilon = static_cast<float>(config.layer_norm_epsilon);
  KILN_ASSIGN_OR_RETURN(block.attention_norm, weights.Get(prefix + "0.layer_norm.weight", {config.d_model}));
  KILN_ASSIGN_OR_RETURN(block.attention, T5Attention::Load(weights, prefix + "0.SelfAttention", config));
  KILN_ASSIGN_OR_RETURN(block.ff_norm, weights.Get(prefix + "1.layer_norm.weight", {config.d_model}));
  KILN_ASSIGN_OR_RETURN(block.ff, T5FeedForward::Load(weights, prefix + "1.DenseReluDense", config));
  return block;
}

void T5Block::Forward(ThreadPool& pool, float* hidden, int64_t batch, int64_t seq_len, T5Workspace& ws) const {
  const int64_t rows = batch * seq_len, d_model = attention_norm.numel();
  cpu::RmsNorm(pool, ws.normed.data(), hidden, attention_norm.f32(), rows, d_model, layer_norm_epsilon);
  attention.Forward(pool, ws.sublayer.data(), ws.normed.data(), batch, seq_len, ws);
  cpu::Add(pool, hidden, hidden, ws.sublayer.data(), rows * d_model);

  cpu::RmsNorm(pool, ws.normed.data(), hidden, ff_norm.f32(), rows, d_model, layer_norm_epsilon);
  ff.Forward(pool, ws.sublayer.data(), ws.normed.data(), rows, ws);
  cpu::Add(pool, hidden, hidden, ws.sublayer.data(), rows * d_model);
}

}  // namespace kiln
