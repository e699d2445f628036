#include "kiln/checkpoint/safetensors.h"

#include <algorithm>
#include <cstdint>

#include "kiln/checkpoint/mapped_file.h"
#include "kiln/checkpoint/safetensors_header.h"

namespace kiln {
namespace {

constexpr size_t kLengthPrefixBytes = 8;

uint64_t LoadLittleEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file, MappedFile::Open(path));
  // The header is parsed right away; fetch it in one go rather than page by page.
  if (file->size() >= kLengthPrefixBytes) {
    const uint64_t header_end =
        kLengthPrefixBytes + std::min(LoadLittleEndian64(file->data()), kMaxSafetensorsHeaderBytes);
    file->WillNeed(0, static_cast<size_t>(std::min<uint64_t>(file->size(), header_end)));
  }
  const uint8_t* data = file->data();
  const size_t size = file->size();
  return FromBuffer(std::move(file), data, size, path);
}

StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::FromBuffer(std::shared_ptr<const void> keepalive,
                                                                       const uint8_t* data, size_t size,
                                                                       std::string label) {
  if (size < kLengthPrefixBytes) {
    return Status::DataLoss(label + ": file is " + std::to_string(size) +
                            " bytes, shorter than the 8-byte header length");
  }
  const uint64_t header_bytes = LoadLittleEndian64(data);
  if (header_bytes > kMaxSafetensorsHeaderBytes) {
    return Status::InvalidArgument(label + ": header length " + std::to_string(header_bytes) +
                                   " exceeds the limit of " + std::to_string(kMaxSafetensorsHeaderBytes) +
                                   " bytes (not a safetensors file?)");
  }
  const uint64_t after_prefix = size - kLengthPrefixBytes;
  if (header_bytes > after_prefix) {
    return Status::DataLoss(label + ": header length " + std::to_string(header_bytes) + " runs past the end of the " +
                            std::to_string(size) + "-byte file (truncated file?)");
  }
  const auto* header_text = reinterpret_cast<const char*>(data + kLengthPrefixBytes);
  KILN_ASSIGN_OR_RETURN(
      SafetensorsHeader header,
      ParseSafetensorsHeader(std::string_view(header_text, header_bytes), after_prefix - header_bytes, label));

  auto file = std::unique_ptr<SafetensorsFile>(new SafetensorsFile());
  file->label_ = std::move(label);
  file->keepalive_ = std::move(keepalive);
  file->data_section_ = data + kLengthPrefixBytes + header_bytes;
  file->metadata_ = std::move(header.metadata);
  file->entries_ = std::move(header.entries);
  return file;
}

const TensorEntry* SafetensorsFile::Find(const std::string& name) const {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                                   [](const TensorEntry& e, const std::string& n) { return e.name < n; });
  if (it == entries_.end() || it->name != name) return nullptr;
  return &*it;
}

bool SafetensorsFile::Contains(const std::string& name) const { return Find(name) != nullptr; }

StatusOr<Tensor> SafetensorsFile::Get(const std::string& name) const {
  const TensorEntry* entry = Find(name);
  if (entry == nullptr) return Status::NotFound(label_ + ": no tensor " + QuoteName(name));
  return Tensor::View(entry->dtype, entry->shape, data_section_ + entry->begin, keepalive_);
}

StatusOr<Tensor> SafetensorsFile::GetF32(const std::string& name) const {
  KILN_ASSIGN_OR_RETURN(Tensor stored, Get(name));
  const bool aligned = reinterpret_cast<uintptr_t>(stored.data()) % alignof(float) == 0;
  if (stored.dtype() == DType::kF32 && aligned) return stored;
  return stored.ToF32();
}

}  // namespace kiln
