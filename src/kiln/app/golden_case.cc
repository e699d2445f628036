#include "kiln/app/golden_case.h"

namespace kiln {

StatusOr<GoldenCase> GoldenCase::Open(const std::string& dir) {
  GoldenCase c;
  c.dir = dir;
  KILN_ASSIGN_OR_RETURN(c.io, SafetensorsFile::Open(dir + "/io.safetensors"));
  auto it = c.io->metadata().find("case_spec");
  if (it == c.io->metadata().end()) {
    return Status::InvalidArgument(dir + "/io.safetensors: metadata has no case_spec");
  }
  c.spec = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (c.spec.is_discarded() || !c.spec.is_object() || !c.spec.contains("kind") || !c.spec["kind"].is_string()) {
    return Status::InvalidArgument(dir + "/io.safetensors: case_spec is not a JSON object with a string 'kind'");
  }
  c.kind = c.spec["kind"].get<std::string>();
  return c;
}

StatusOr<std::unique_ptr<SafetensorsFile>> GoldenCase::OpenWeights() const {
  auto it = io->metadata().find("weights");
  const std::string path = it != io->metadata().end() ? dir + "/" + it->second : dir + "/weights.safetensors";
  return SafetensorsFile::Open(path);
}

std::string GoldenCase::ConfigJson(const SafetensorsFile& weights) const {
  if (auto it = weights.metadata().find("config"); it != weights.metadata().end()) return it->second;
  if (spec.contains("params")) return spec["params"].dump();
  return "";
}

StatusOr<Tensor> GoldenCase::Get(const std::string& name) const {
  if (!io->Contains(name)) return Status::NotFound(dir + "/io.safetensors: no tensor '" + name + "'");
  return io->GetF32(name);
}

}  // namespace kiln
