// The official names and shapes of every weight of a FLUX.1 transformer with
// a given config — what a checkpoint must contain. Used to make random
// checkpoints of any config (benchmarks, tests).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "kiln/models/flux/flux_config.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

std::vector<std::pair<std::string, Shape>> FluxWeightShapes(const FluxConfig& config);

}  // namespace kiln
