// The architecture the C++ MobileNetV2 implements: Keras applications
// MobileNetV2 (alpha 1.0, 224×224 input) with the nsfwjs classifier head.
// One table drives both the forward pass and the check of topology.json, so
// the two cannot drift apart.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

// One inverted-residual block: [expand 1×1 + BN + ReLU6] → [pad] depthwise
// 3×3 + BN + ReLU6 → project 1×1 + BN → [+ input].
struct InvertedResidualSpec {
  std::string prefix;  // Keras layer-name prefix: "expanded_conv_", "block_1_", ...
  int64_t in_channels = 0;
  int64_t expanded_channels = 0;  // == in_channels when there is no expand conv
  int64_t out_channels = 0;
  int64_t stride = 1;
  bool has_expand = true;  // false only for the first block (expansion 1)
  bool residual = false;   // stride 1 and in == out

  // The Keras layer whose output this block hands on: "<prefix>add" or "<prefix>project_BN".
  std::string output_layer() const { return prefix + (residual ? "add" : "project_BN"); }
};

struct MobileNetV2Arch {
  static constexpr int64_t kInputSize = 224;
  static constexpr int64_t kStemChannels = 32;      // Conv1
  static constexpr int64_t kFeatureChannels = 1280;  // Conv_1 (alpha 1.0)
  static constexpr int64_t kDense1 = 256;
  static constexpr int64_t kDense2 = 128;
  static constexpr int64_t kClasses = 5;

  // The 17 blocks, from Keras's (expansion, channels, repeats, stride) table
  // (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1).
  static const std::vector<InvertedResidualSpec>& Blocks();
};

}  // namespace kiln
