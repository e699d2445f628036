#include "kiln/models/mobilenet_v2/mobilenet_v2.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "kiln/kernels/cpu/depthwise_conv2d.h"
#include "kiln/kernels/cpu/matmul.h"
#include "kiln/models/mobilenet_v2/nhwc_conv.h"
#include "kiln/models/mobilenet_v2/stem_conv.h"
#include "kiln/models/weight_loader.h"
#include "kiln/models/workspace_buffer.h"

namespace kiln {
namespace {

using A = MobileNetV2Arch;

// Keras pads a stride-2 conv by (0, 1) before a 'valid' 3×3 conv (the
// ZeroPadding2D layers at 224 input, checked by MobileNetV2Topology); a
// stride-1 'same' 3×3 conv pads 1 on every side.
cpu::DepthwiseConv2dParams DepthwiseShape(int64_t batch, int64_t size, int64_t channels, int64_t stride) {
  cpu::DepthwiseConv2dParams p;
  p.batch = batch;
  p.height = p.width = size;
  p.channels = channels;
  p.stride = stride;
  if (stride == 1) {
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  } else {
    p.pad_bottom = p.pad_right = 1;
  }
  p.relu6 = true;
  return p;
}

void Relu(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
}

// Softmax of one row in double: exp(x − max) / Σ, rounded once.
void SoftmaxRow(const float* logits, float* probs, int64_t n) {
  const double max = *std::max_element(logits, logits + n);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(logits[i]) - max);
  for (int64_t i = 0; i < n; ++i) probs[i] = static_cast<float>(std::exp(static_cast<double>(logits[i]) - max) / sum);
}

}  // namespace

StatusOr<std::unique_ptr<MobileNetV2>> MobileNetV2::Load(const SafetensorsFile& file,
                                                         const MobileNetV2Topology& topology) {
  const WeightLoader weights(file);
  std::unique_ptr<MobileNetV2> model(new MobileNetV2());
  KILN_ASSIGN_OR_RETURN(double eps, topology.Epsilon("bn_Conv1"));
  KILN_ASSIGN_OR_RETURN(FoldedConv stem, LoadConvBn(weights, "Conv1", "bn_Conv1", 3, 3, A::kStemChannels, eps));
  model->stem_ = PackStem(stem);
  for (const InvertedResidualSpec& spec : A::Blocks()) {
    Block b;
    b.spec = spec;
    const std::string& p = spec.prefix;
    if (spec.has_expand) {
      KILN_ASSIGN_OR_RETURN(eps, topology.Epsilon(p + "expand_BN"));
      KILN_ASSIGN_OR_RETURN(b.expand, LoadConvBn(weights, p + "expand", p + "expand_BN", 1, spec.in_channels,
                                                 spec.expanded_channels, eps));
    }
    KILN_ASSIGN_OR_RETURN(eps, topology.Epsilon(p + "depthwise_BN"));
    KILN_ASSIGN_OR_RETURN(b.depthwise,
                          LoadDepthwiseBn(weights, p + "depthwise", p + "depthwise_BN", spec.expanded_channels, eps));
    KILN_ASSIGN_OR_RETURN(eps, topology.Epsilon(p + "project_BN"));
    KILN_ASSIGN_OR_RETURN(b.project, LoadConvBn(weights, p + "project", p + "project_BN", 1, spec.expanded_channels,
                                                spec.out_channels, eps));
    model->blocks_.push_back(std::move(b));
  }
  KILN_ASSIGN_OR_RETURN(eps, topology.Epsilon("Conv_1_bn"));
  const int64_t last_channels = model->blocks_.back().spec.out_channels;  // 320
  KILN_ASSIGN_OR_RETURN(model->last_conv_,
                        LoadConvBn(weights, "Conv_1", "Conv_1_bn", 1, last_channels, A::kFeatureChannels, eps));
  KILN_ASSIGN_OR_RETURN(model->dense_1_, LoadDense(weights, "dense_1", A::kFeatureChannels, A::kDense1));
  KILN_ASSIGN_OR_RETURN(model->dense_2_, LoadDense(weights, "dense_2", A::kDense1, A::kDense2));
  KILN_ASSIGN_OR_RETURN(model->dense_3_, LoadDense(weights, "dense_3", A::kDense2, A::kClasses));
  return model;
}

void MobileNetV2::Forward(ThreadPool& pool, const float* input, int64_t batch, MobileNetV2Workspace& ws,
                          const MobileNetV2Outputs& out, const MobileNetV2TraceFn& trace) const {
  const int64_t threads = std::min<int64_t>(pool.num_threads(), batch);
  if (trace || threads < 2) {
    ForwardLayers(pool, input, batch, ws, out, trace);
    return;
  }
  // Several images and threads: each thread runs whole images, one at a time,
  // on its own workspace. Per layer splitting costs ~55 thread hand-offs per
  // image, and an image's activations (≤ 6 MB at the first blocks) stay in
  // its core's caches instead of a batch's worth streaming through memory.
  // (A trace needs each layer of the whole batch at once, so it takes the
  // layer-by-layer path.)
  while (static_cast<int64_t>(ws.per_thread.size()) < threads) {
    ws.per_thread.push_back(std::make_unique<MobileNetV2Workspace>());
  }
  constexpr int64_t kImageFloats = A::kInputSize * A::kInputSize * 3;
  const auto offset = [](float* p, int64_t n, int64_t per_image) { return p == nullptr ? p : p + n * per_image; };
  pool.ParallelFor(threads, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      // Images [begin, end) go to thread t: contiguous, sizes differ by at most one.
      const int64_t begin = batch * t / threads, end = batch * (t + 1) / threads;
      for (int64_t n = begin; n < end; ++n) {
        MobileNetV2Outputs o;
        o.features = offset(out.features, n, A::kFeatureChannels);
        o.dense_1 = offset(out.dense_1, n, A::kDense1);
        o.dense_2 = offset(out.dense_2, n, A::kDense2);
        o.logits = offset(out.logits, n, A::kClasses);
        o.probs = offset(out.probs, n, A::kClasses);
        // Inside a chunk the pool runs every kernel inline.
        ForwardLayers(pool, input + n * kImageFloats, 1, *ws.per_thread[t], o, nullptr);
      }
    }
  });
}

void MobileNetV2::ForwardLayers(ThreadPool& pool, const float* input, int64_t batch, MobileNetV2Workspace& ws,
                                const MobileNetV2Outputs& out, const MobileNetV2TraceFn& trace) const {
  // Size every buffer first (they only grow), so no pointer moves mid-pass.
  const int64_t stem_size = (A::kInputSize + 1 - 3) / 2 + 1;  // 112: Conv1_pad (0, 1), 3×3 stride 2
  int64_t size = stem_size;
  int64_t act = batch * size * size * A::kStemChannels, expanded = 0, depthwise = 0;
  for (const Block& b : blocks_) {
    const auto dw = DepthwiseShape(batch, size, b.spec.expanded_channels, b.spec.stride);
    if (b.spec.has_expand) expanded = std::max(expanded, batch * size * size * b.spec.expanded_channels);
    size = dw.out_height();
    depthwise = std::max(depthwise, batch * size * size * b.spec.expanded_channels);
    act = std::max(act, batch * size * size * b.spec.out_channels);
  }
  const int64_t final_size = size;  // 7
  const int64_t final_pixels = batch * final_size * final_size;
  EnsureFloats(ws.ping, act);
  EnsureFloats(ws.pong, act);
  EnsureFloats(ws.expanded, expanded);
  EnsureFloats(ws.depthwise, depthwise);
  EnsureFloats(ws.head, final_pixels * A::kFeatureChannels + batch * A::kFeatureChannels);

  // Conv1_pad → Conv1 → bn_Conv1 → Conv1_relu.
  size = stem_size;
  float* x = ws.ping.data();
  float* y = ws.pong.data();
  StemConv3x3S2(pool, x, input, batch, A::kInputSize, stem_);
  if (trace) trace("Conv1_relu", x, {batch, size, size, A::kStemChannels});

  for (const Block& b : blocks_) {
    const float* dw_in = x;
    if (b.spec.has_expand) {
      PointwiseConv(pool, ws.expanded.data(), x, b.expand, batch * size * size, /*relu6=*/true);
      dw_in = ws.expanded.data();
    }
    const auto dw = DepthwiseShape(batch, size, b.spec.expanded_channels, b.spec.stride);
    cpu::DepthwiseConv2d3x3(pool, ws.depthwise.data(), dw_in, b.depthwise.weight.data(), b.depthwise.bias.data(), dw);
    size = dw.out_height();
    PointwiseConv(pool, y, ws.depthwise.data(), b.project, batch * size * size, /*relu6=*/false,
                  b.spec.residual ? x : nullptr);
    if (trace) trace(b.spec.output_layer(), y, {batch, size, size, b.spec.out_channels});
    std::swap(x, y);
  }

  // Conv_1 → Conv_1_bn → out_relu, then the 7×7 average pool (flatten_1).
  float* out_relu = ws.head.data();
  float* features = out_relu + final_pixels * A::kFeatureChannels;
  PointwiseConv(pool, out_relu, x, last_conv_, final_pixels, /*relu6=*/true);
  if (trace) trace("out_relu", out_relu, {batch, final_size, final_size, A::kFeatureChannels});
  const int64_t pool_pixels = final_size * final_size;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < A::kFeatureChannels; ++c) {
      double sum = 0;  // tfjs sums in double (JavaScript numbers)
      for (int64_t p = 0; p < pool_pixels; ++p) sum += out_relu[(n * pool_pixels + p) * A::kFeatureChannels + c];
      features[n * A::kFeatureChannels + c] = static_cast<float>(sum / static_cast<double>(pool_pixels));
    }
  }
  Head(pool, features, batch, ws, out, trace);
}

void MobileNetV2::Head(ThreadPool& pool, const float* features, int64_t batch, MobileNetV2Workspace& ws,
                       const MobileNetV2Outputs& out, const MobileNetV2TraceFn& trace) const {
  // The head is tiny (batch × 0.4 MFLOP): its buffers sit after out_relu's,
  // which is no longer needed, so ws.head holds everything.
  float* d1 = ws.head.data();
  float* d2 = d1 + batch * A::kDense1;
  float* logits = d2 + batch * A::kDense2;
  float* probs = logits + batch * A::kClasses;
  if (trace) trace("flatten_1", features, {batch, A::kFeatureChannels});
  if (out.features != nullptr) std::copy(features, features + batch * A::kFeatureChannels, out.features);
  cpu::Linear(pool, d1, features, dense_1_.weight.data(), dense_1_.bias.data(), batch, A::kFeatureChannels,
              A::kDense1);
  Relu(d1, batch * A::kDense1);
  cpu::Linear(pool, d2, d1, dense_2_.weight.data(), dense_2_.bias.data(), batch, A::kDense1, A::kDense2);
  Relu(d2, batch * A::kDense2);
  cpu::Linear(pool, logits, d2, dense_3_.weight.data(), dense_3_.bias.data(), batch, A::kDense2, A::kClasses);
  for (int64_t n = 0; n < batch; ++n) SoftmaxRow(logits + n * A::kClasses, probs + n * A::kClasses, A::kClasses);
  if (trace) {
    trace("dense_1", d1, {batch, A::kDense1});
    trace("dense_2", d2, {batch, A::kDense2});
  }
  if (out.dense_1 != nullptr) std::copy(d1, d1 + batch * A::kDense1, out.dense_1);
  if (out.dense_2 != nullptr) std::copy(d2, d2 + batch * A::kDense2, out.dense_2);
  if (out.logits != nullptr) std::copy(logits, logits + batch * A::kClasses, out.logits);
  if (out.probs != nullptr) std::copy(probs, probs + batch * A::kClasses, out.probs);
}

}  // namespace kiln
