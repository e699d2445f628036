// GoldenCase: one case folder in the ../shared/golden/flux format — the
// io.safetensors inputs and references, its case_spec, and where its
// weights and model config come from.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "kiln/base/status.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

struct GoldenCase {
  std::string dir;
  std::unique_ptr<SafetensorsFile> io;
  nlohmann::json spec;  // case_spec from io's metadata
  std::string kind;     // spec["kind"]

  // Opens dir/io.safetensors and parses its case_spec.
  static StatusOr<GoldenCase> Open(const std::string& dir);

  // The weights: metadata "weights" (relative to dir) or dir/weights.safetensors.
  StatusOr<std::unique_ptr<SafetensorsFile>> OpenWeights() const;
  // The model config JSON: the weights' "config" metadata, else spec["params"], else "".
  std::string ConfigJson(const SafetensorsFile& weights) const;
  // A reference or input tensor of io, as f32.
  StatusOr<Tensor> Get(const std::string& name) const;
};

}  // namespace kiln
