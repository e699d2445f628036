#include "kiln/checkpoint/safetensors_header.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <limits>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

namespace kiln {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kMetadataKey = "__metadata__";
// Containers may open at depth 0 (the header), 1 (an entry, __metadata__) and
// 2 (shape, data_offsets). Refusing deeper ones bounds the parse tree however
// the header is nested.
constexpr int kMaxContainerDepth = 2;

std::string Subject(std::string_view key) {
  if (key == kMetadataKey) return std::string(kMetadataKey);
  return "tensor " + QuoteName(key);
}

// "an array", "a number": a JSON value's type for error messages.
std::string TypeWithArticle(const Json& value) {
  const std::string type = value.type_name();
  return (type == "object" || type == "array" ? "an " : "a ") + type;
}

// A short rendering of a JSON value for error messages.
std::string Excerpt(const Json& value) {
  constexpr size_t kMaxChars = 60;
  // ASCII-only, so cutting it short cannot split a UTF-8 sequence.
  std::string text = value.dump(-1, ' ', /*ensure_ascii=*/true, Json::error_handler_t::replace);
  if (text.size() > kMaxChars) text = text.substr(0, kMaxChars) + "...";
  return text;
}

// What nlohmann's DOM parser does not report by itself: it keeps one of two
// duplicate keys silently, and it would build a tree of any depth.
class ParseGuard {
 public:
  bool operator()(int depth, Json::parse_event_t event, Json& parsed) {
    if (!problem_.empty()) return false;  // the first problem is the one reported
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (depth > kMaxContainerDepth) {
          problem_ = Subject(top_key_) + ": nested too deeply (a safetensors header has three levels)";
          return false;
        }
        // Keys of the object opening at depth d arrive at depth d + 1.
        keys_.resize(depth + 2);
        keys_[depth + 1].clear();
        return true;
      case Json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (depth == 1) top_key_ = key;
        if (!keys_[depth].insert(key).second) {
          problem_ = depth == 1 ? Subject(key) + ": appears more than once"
                                : Subject(top_key_) + ": key " + QuoteName(key) + " appears more than once";
          return false;
        }
        return true;
      }
      default:
        return true;
    }
  }
  const std::string& problem() const { return problem_; }

 private:
  std::vector<std::set<std::string>> keys_;
  std::string top_key_;
  std::string problem_;
};

// Drops nlohmann's "[json.exception.parse_error.101] " prefix.
std::string WithoutExceptionId(std::string what) {
  const size_t bracket = what.find("] ");
  if (what.rfind("[json.exception.", 0) == 0 && bracket != std::string::npos) what.erase(0, bracket + 2);
  return what;
}

StatusOr<Json> ParseJson(std::string_view text, const std::string& label) {
  ParseGuard guard;
  Json root;
  try {
    root = Json::parse(text.begin(), text.end(), std::ref(guard));
  } catch (const Json::parse_error& e) {
    if (!guard.problem().empty()) return Status::InvalidArgument(label + ": " + guard.problem());
    return Status::InvalidArgument(label + ": header is not valid JSON at header byte " +
                                   std::to_string(e.byte) + ": " + WithoutExceptionId(e.what()));
  } catch (const std::exception& e) {  // number overflow, allocation failure
    return Status::InvalidArgument(label + ": header cannot be parsed: " + WithoutExceptionId(e.what()));
  }
  if (!guard.problem().empty()) return Status::InvalidArgument(label + ": " + guard.problem());
  if (!root.is_object()) {
    return Status::InvalidArgument(label + ": header is a JSON " + std::string(root.type_name()) +
                                   ", expected an object");
  }
  return root;
}

bool AsUint64(const Json& value, uint64_t* out) {
  if (!value.is_number_unsigned()) return false;  // nlohmann parses every n >= 0 as unsigned
  *out = value.get<uint64_t>();
  return true;
}

class EntryParser {
 public:
  EntryParser(const std::string& label, const std::string& name) : label_(label), name_(name) {}

  StatusOr<TensorEntry> Parse(const Json& value) const {
    if (!value.is_object()) {
      return Error("entry is " + TypeWithArticle(value) +
                   ", expected an object with dtype, shape and data_offsets");
    }
    TensorEntry entry;
    entry.name = name_;
    KILN_RETURN_IF_ERROR(ParseDTypeField(value, &entry.dtype));
    uint64_t numel = 1;
    KILN_RETURN_IF_ERROR(ParseShapeField(value, &entry.shape, &numel));
    KILN_RETURN_IF_ERROR(ParseOffsetsField(value, &entry.begin, &entry.end));

    uint64_t bytes = 0;
    if (__builtin_mul_overflow(numel, DTypeSize(entry.dtype), &bytes)) {
      return Error("shape " + ShapeToString(entry.shape) + " × " + std::string(DTypeName(entry.dtype)) +
                   " overflows 64 bits");
    }
    if (bytes != entry.end - entry.begin) {
      return Error("shape " + ShapeToString(entry.shape) + " × " + std::string(DTypeName(entry.dtype)) +
                   " = " + std::to_string(bytes) + " bytes but data_offsets span " +
                   std::to_string(entry.end - entry.begin));
    }
    return entry;
  }

 private:
  Status Error(const std::string& problem) const {
    return Status::InvalidArgument(label_ + ": tensor " + QuoteName(name_) + ": " + problem);
  }

  Status ParseDTypeField(const Json& value, DType* dtype) const {
    const auto it = value.find("dtype");
    if (it == value.end()) return Error("missing dtype");
    if (!it->is_string()) return Error("dtype is " + Excerpt(*it) + ", expected a string");
    const auto& name = it->get_ref<const std::string&>();
    if (!ParseDType(name, dtype)) {
      return Error("unsupported dtype " + QuoteName(name) + " (supported: F32, F16, BF16, F64, I64, I32, U8)");
    }
    return Status::Ok();
  }

  Status ParseShapeField(const Json& value, Shape* shape, uint64_t* numel) const {
    const auto it = value.find("shape");
    if (it == value.end()) return Error("missing shape");
    if (!it->is_array()) return Error("shape is " + Excerpt(*it) + ", expected an array of integers");
    for (size_t i = 0; i < it->size(); ++i) {
      uint64_t dim = 0;
      if (!AsUint64((*it)[i], &dim) || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Error("shape dimension " + std::to_string(i) + " is " + Excerpt((*it)[i]) +
                     ", expected a non-negative integer");
      }
      if (__builtin_mul_overflow(*numel, dim, numel)) return Error("shape " + Excerpt(*it) + " overflows 64 bits");
      shape->push_back(static_cast<int64_t>(dim));
    }
    return Status::Ok();
  }

  Status ParseOffsetsField(const Json& value, uint64_t* begin, uint64_t* end) const {
    const auto it = value.find("data_offsets");
    if (it == value.end()) return Error("missing data_offsets");
    if (!it->is_array() || it->size() != 2 || !AsUint64((*it)[0], begin) || !AsUint64((*it)[1], end)) {
      return Error("data_offsets is " + Excerpt(*it) + ", expected [begin, end] of non-negative integers");
    }
    if (*begin > *end) return Error("data_offsets " + Excerpt(*it) + " has begin after end");
    return Status::Ok();
  }

  const std::string& label_;
  const std::string& name_;
};

StatusOr<std::map<std::string, std::string>> ParseMetadata(const Json& value, const std::string& label) {
  if (!value.is_object()) {
    return Status::InvalidArgument(label + ": __metadata__ is " + TypeWithArticle(value) +
                                   ", expected an object of strings");
  }
  std::map<std::string, std::string> metadata;
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      return Status::InvalidArgument(label + ": __metadata__ " + QuoteName(key) + " is " + Excerpt(item) +
                                     ", expected a string");
    }
    metadata.emplace(key, item.get<std::string>());
  }
  return metadata;
}

std::string RangeToString(const TensorEntry& e) {
  // Appended piece by piece: g++ 12 warns falsely (-Wrestrict) on "[" + std::string.
  std::string out = "[";
  out += std::to_string(e.begin);
  out += ", ";
  out += std::to_string(e.end);
  out += "]";
  return out;
}

// Every range inside the data section, and no two non-empty ranges sharing a byte.
Status CheckRanges(const std::vector<TensorEntry>& entries, uint64_t data_size, const std::string& label) {
  std::vector<const TensorEntry*> by_offset;
  for (const TensorEntry& e : entries) {
    if (e.end > data_size) {
      return Status::DataLoss(label + ": tensor " + QuoteName(e.name) + ": data_offsets " + RangeToString(e) +
                              " run past the end of the " + std::to_string(data_size) +
                              "-byte data section (truncated file?)");
    }
    if (e.begin != e.end) by_offset.push_back(&e);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorEntry* a, const TensorEntry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const TensorEntry& prev = *by_offset[i - 1];
    const TensorEntry& cur = *by_offset[i];
    if (cur.begin < prev.end) {
      return Status::InvalidArgument(label + ": tensors " + QuoteName(prev.name) + " " + RangeToString(prev) +
                                     " and " + QuoteName(cur.name) + " " + RangeToString(cur) + " overlap");
    }
  }
  return Status::Ok();
}

}  // namespace

std::string QuoteName(std::string_view name) {
  size_t shown = std::min<size_t>(name.size(), 200);
  // Cut at a character boundary so a valid UTF-8 name stays valid UTF-8.
  while (shown < name.size() && shown > 0 && (static_cast<unsigned char>(name[shown]) & 0xc0) == 0x80) --shown;
  std::string out = "'";
  for (size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (shown < name.size()) out += "...";
  return out + "'";
}

StatusOr<SafetensorsHeader> ParseSafetensorsHeader(std::string_view json, uint64_t data_size,
                                                   const std::string& label) {
  KILN_ASSIGN_OR_RETURN(const Json root, ParseJson(json, label));
  SafetensorsHeader header;
  // items() of an object come sorted by key, so entries come out sorted by name.
  for (const auto& [name, value] : root.items()) {
    if (name == kMetadataKey) {
      KILN_ASSIGN_OR_RETURN(header.metadata, ParseMetadata(value, label));
      continue;
    }
    KILN_ASSIGN_OR_RETURN(TensorEntry entry, EntryParser(label, name).Parse(value));
    header.entries.push_back(std::move(entry));
  }
  KILN_RETURN_IF_ERROR(CheckRanges(header.entries, data_size, label));
  return header;
}

}  // namespace kiln
