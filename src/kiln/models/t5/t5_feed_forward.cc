#include "kiln/models/t5/t5_feed_forward.h"

#include <algorithm>

#include "kiln/kernels/cpu/elementwise.h"

namespace kiln {

StatusOr<T5FeedForward> T5FeedForward::Load(const WeightLoader& weights, const std::string& prefix,
                                            const T5Config& config) {
  T5FeedForward ff;
  ff.proj = config.feed_forward_proj;
  const int64_t d_model = config.d_model, d_ff = config.d_ff;
  if (ff.proj == T5FeedForwardProj::kGatedGelu) {
    KILN_ASSIGN_OR_RETURN(ff.wi, LinearLayer::Load(weights, prefix + ".wi_0", d_model, d_ff, false));
    KILN_ASSIGN_OR_RETURN(ff.wi_1, LinearLayer::Load(weights, prefix + ".wi_1", d_model, d_ff, false));
  } else {
    KILN_ASSIGN_OR_RETURN(ff.wi, LinearLayer::Load(weights, prefix + ".wi", d_model, d_ff, false));
  }
  KILN_ASSIGN_OR_RETURN(ff.wo, LinearLayer::Load(weights, prefix + ".wo", d_ff, d_model, false));
  return ff;
}

void T5FeedForward::Forward(ThreadPool& pool, float* out, const float* in, int64_t rows,
                            T5Workspace& ws) const {
  const int64_t n = rows * wi.out_features;
  float* hidden = ws.ff_hidden.data();  // (rows, d_ff)
  wi.Forward(pool, hidden, in, rows);
  // The product and the ReLU are plain loops: kernels/cpu has no elementwise
  // multiply or ReLU, and at rows·d_ff floats either is well under 1% of the
  // two GEMMs around it.
  if (proj == T5FeedForwardProj::kGatedGelu) {
    cpu::GeluTanh(pool, hidden, hidden, n);  // HF "gelu_new"
    float* linear = ws.ff_linear.data();     // (rows, d_ff)
    wi_1.Forward(pool, linear, in, rows);
    for (int64_t i = 0; i < n; ++i) hidden[i] *= linear[i];
  } else {
    for (int64_t i = 0; i < n; ++i) hidden[i] = std::max(hidden[i], 0.0f);
  }
  wo.Forward(pool, out, hidden, rows);
}

}  // namespace kiln
