// MobileNetV2: Keras applications MobileNetV2 (alpha 1.0, 224×224) with the
// nsfwjs classifier head (7×7 average pool → Dense 256 ReLU → Dense 128 ReLU
// → Dense 5 softmax), f32 on CPU, NHWC throughout. Checked against TensorFlow.js
// (the runtime nsfwjs ships for) in tests/golden/nsfw_golden_test.cc.
//
// Load checks topology.json against the implemented architecture
// (MobileNetV2Topology), finds every weight by its Keras name
// ("block_3_depthwise/depthwise_kernel", "bn_Conv1/gamma", ...) and folds
// each BatchNormalization into the convolution before it. The loaded model is
// immutable: Forward may run on several threads at once, each with its own
// workspace.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/mobilenet_v2/folded_conv.h"
#include "kiln/models/mobilenet_v2/mobilenet_v2_arch.h"
#include "kiln/models/mobilenet_v2/mobilenet_v2_topology.h"
#include "kiln/models/mobilenet_v2/stem_conv.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

// Activation buffers that only grow: after the first call at a batch size,
// Forward allocates nothing.
struct MobileNetV2Workspace {
  std::vector<float> ping, pong;  // block inputs and outputs, alternating
  std::vector<float> expanded;    // expand-conv output
  std::vector<float> depthwise;   // depthwise-conv output
  std::vector<float> head;        // out_relu + pooled features; the dense outputs reuse out_relu's place
  // One workspace per pool thread when a batch is split across threads by image.
  std::vector<std::unique_ptr<MobileNetV2Workspace>> per_thread;
};

// Where Forward writes; each pointer may be null when not wanted.
struct MobileNetV2Outputs {
  float* features = nullptr;  // (batch, 1280): flatten_1, the global-average-pool embedding
  float* dense_1 = nullptr;   // (batch, 256), after ReLU
  float* dense_2 = nullptr;   // (batch, 128), after ReLU
  float* logits = nullptr;    // (batch, 5): dense_3 before its softmax
  float* probs = nullptr;     // (batch, 5): the model output
};

// Sees activations by their Keras layer name ("Conv1_relu", "block_2_add",
// "block_16_project_BN", "out_relu", ...), NHWC (batch, h, w, c), during Forward.
using MobileNetV2TraceFn = std::function<void(std::string_view layer, const float* data, const Shape& shape)>;

class MobileNetV2 {
 public:
  static StatusOr<std::unique_ptr<MobileNetV2>> Load(const SafetensorsFile& weights,
                                                     const MobileNetV2Topology& topology);

  //   input (batch, 224, 224, 3): RGB in [0, 1], NHWC (nsfwjs's preprocessing)
  // REQUIRES: batch >= 1
  void Forward(ThreadPool& pool, const float* input, int64_t batch, MobileNetV2Workspace& ws,
               const MobileNetV2Outputs& out, const MobileNetV2TraceFn& trace = nullptr) const;

 private:
  struct Block {
    InvertedResidualSpec spec;
    FoldedConv expand;  // empty when !spec.has_expand
    FoldedDepthwise depthwise;
    FoldedConv project;
  };

  MobileNetV2() = default;
  // The whole network on `batch` images layer by layer, each layer split across the pool.
  void ForwardLayers(ThreadPool& pool, const float* input, int64_t batch, MobileNetV2Workspace& ws,
                     const MobileNetV2Outputs& out, const MobileNetV2TraceFn& trace) const;
  // The dense head on the pooled features (batch, 1280), which live in ws.head.
  void Head(ThreadPool& pool, const float* features, int64_t batch, MobileNetV2Workspace& ws,
            const MobileNetV2Outputs& out, const MobileNetV2TraceFn& trace) const;

  StemWeights stem_;  // Conv1 + bn_Conv1, packed for the direct stem conv
  std::vector<Block> blocks_;
  FoldedConv last_conv_;  // Conv_1 + Conv_1_bn: (1280, 320)
  FoldedConv dense_1_, dense_2_, dense_3_;
};

}  // namespace kiln
