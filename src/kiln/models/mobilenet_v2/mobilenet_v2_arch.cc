#include "kiln/models/mobilenet_v2/mobilenet_v2_arch.h"

namespace kiln {

const std::vector<InvertedResidualSpec>& MobileNetV2Arch::Blocks() {
  static const std::vector<InvertedResidualSpec> blocks = [] {
    struct Stage {
      int64_t expansion, channels, repeats, stride;
    };
    constexpr Stage kStages[] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2},  {6, 64, 4, 2},
                                 {6, 96, 3, 1},  {6, 160, 3, 2}, {6, 320, 1, 1}};
    std::vector<InvertedResidualSpec> out;
    int64_t channels = kStemChannels;
    for (const Stage& stage : kStages) {
      for (int64_t i = 0; i < stage.repeats; ++i) {
        InvertedResidualSpec b;
        const int64_t index = static_cast<int64_t>(out.size());
        if (index == 0) {
          b.prefix = "expanded_conv_";
        } else {
          b.prefix = "block_";
          b.prefix.append(std::to_string(index)).append("_");
        }
        b.in_channels = channels;
        b.expanded_channels = channels * stage.expansion;
        b.out_channels = stage.channels;
        b.stride = i == 0 ? stage.stride : 1;
        b.has_expand = stage.expansion != 1;
        b.residual = b.stride == 1 && b.in_channels == b.out_channels;
        out.push_back(b);
        channels = stage.channels;
      }
    }
    return out;
  }();
  return blocks;
}

}  // namespace kiln
