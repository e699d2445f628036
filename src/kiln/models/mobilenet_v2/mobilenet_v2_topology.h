// MobileNetV2Topology: the shipped Keras topology.json (nsfwjs
// modelTopology), checked layer by layer against the architecture the C++
// network implements (mobilenet_v2_arch.h): names, order, inbound layers,
// kernel sizes, strides, padding, filters, activations, ReLU caps. A model
// whose topology differs in anything the forward pass depends on is refused
// with the layer named, rather than run wrongly. The BatchNormalization
// epsilons are read from it (Keras's default is 1e-3, but the file decides).
#pragma once

#include <map>
#include <string>

#include "kiln/base/status.h"

namespace kiln {

struct MobileNetV2Topology {
  std::map<std::string, double> bn_epsilon;  // by BatchNormalization layer name

  // json: the whole topology.json (with "model_config") or its "model_config".
  static StatusOr<MobileNetV2Topology> Parse(const std::string& json);

  // The epsilon of a BatchNormalization layer; NotFound when absent.
  StatusOr<double> Epsilon(const std::string& bn_layer) const;
};

}  // namespace kiln
