// WriteSafetensors: the writing half of safetensors.h.
#include <nlohmann/json.hpp>

#include "kiln/base/atomic_file_writer.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/checkpoint/safetensors_header.h"

namespace kiln {
namespace {

using Json = nlohmann::json;

// The header is padded with spaces to a multiple of 8 bytes, as the Python
// library does, so the data section (and every F32/F64 tensor in it whose
// offset is a multiple of its size) stays aligned in a page-aligned mapping.
constexpr size_t kHeaderAlignment = 8;

StatusOr<std::string> BuildHeader(const std::vector<std::pair<std::string, Tensor>>& tensors,
                                  const std::map<std::string, std::string>& metadata, const std::string& path) {
  Json header = Json::object();
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    const std::string where = path + ": tensor " + QuoteName(name) + ": ";
    if (name == "__metadata__") return Status::InvalidArgument(where + "the name is reserved for metadata");
    if (header.contains(name)) return Status::InvalidArgument(where + "appears more than once");
    for (int64_t dim : tensor.shape()) {
      if (dim < 0) return Status::InvalidArgument(where + "negative dimension in " + ShapeToString(tensor.shape()));
    }
    if (tensor.empty() && tensor.numel() != 0) return Status::InvalidArgument(where + "has no storage");
    const uint64_t end = offset + tensor.nbytes();
    header[name] = {{"dtype", DTypeName(tensor.dtype())}, {"shape", tensor.shape()}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string text;
  try {
    text = header.dump();
  } catch (const Json::exception& e) {  // a name or metadata string that is not UTF-8
    return Status::InvalidArgument(path + ": cannot write header: " + e.what());
  }
  text.resize((text.size() + kHeaderAlignment - 1) / kHeaderAlignment * kHeaderAlignment, ' ');
  return text;
}

}  // namespace

Status WriteSafetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  KILN_ASSIGN_OR_RETURN(const std::string header, BuildHeader(tensors, metadata, path));
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(static_cast<uint64_t>(header.size()) >> (8 * i));

  KILN_ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> out, AtomicFileWriter::Create(path));
  KILN_RETURN_IF_ERROR(out->Append(length, sizeof(length)));
  KILN_RETURN_IF_ERROR(out->Append(header));
  for (const auto& [name, tensor] : tensors) {
    if (tensor.nbytes() > 0) KILN_RETURN_IF_ERROR(out->Append(tensor.data(), tensor.nbytes()));
  }
  return out->Commit();
}

}  // namespace kiln
