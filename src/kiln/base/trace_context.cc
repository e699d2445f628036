#include "kiln/base/trace_context.h"

#include <cstddef>

#include "kiln/base/crypto.h"

namespace kiln {
namespace {

// "vv-" + 32 + "-" + 16 + "-" + "ff": the whole header in version 00.
constexpr size_t kVersion00Length = 55;
constexpr size_t kTraceIdOffset = 3;
constexpr size_t kTraceIdLength = 32;
constexpr size_t kSpanIdOffset = 36;
constexpr size_t kSpanIdLength = 16;
constexpr size_t kFlagsOffset = 53;

int LowerHexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // the spec allows lowercase hex only
}

bool IsLowerHex(std::string_view text) {
  for (const char c : text) {
    if (LowerHexValue(c) < 0) return false;
  }
  return true;
}

bool IsAllZero(std::string_view text) { return text.find_first_not_of('0') == std::string_view::npos; }

// Random lowercase hex of `bytes` bytes, redrawn in the (astronomically rare)
// all-zero case, which the spec reserves as invalid.
std::string RandomNonZeroHex(int bytes) {
  for (;;) {
    std::string hex = RandomHex(bytes);
    if (!IsAllZero(hex)) return hex;
  }
}

}  // namespace

std::string TraceContext::ToTraceparent() const {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out = "00-";
  out.reserve(kVersion00Length);
  out += trace_id;
  out += '-';
  out += span_id;
  out += '-';
  out += kHex[flags >> 4];
  out += kHex[flags & 0x0f];
  return out;
}

std::optional<TraceContext> ParseTraceparent(std::string_view header) {
  if (header.size() < kVersion00Length) return std::nullopt;
  const std::string_view version = header.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  // Version 00 is exactly 55 characters. A later version may append fields,
  // but only after another '-', so its first four fields still parse as 00's.
  if (version == "00" ? header.size() != kVersion00Length
                      : header.size() > kVersion00Length && header[kVersion00Length] != '-') {
    return std::nullopt;
  }
  if (header[2] != '-' || header[kSpanIdOffset - 1] != '-' || header[kFlagsOffset - 1] != '-') return std::nullopt;

  const std::string_view trace_id = header.substr(kTraceIdOffset, kTraceIdLength);
  const std::string_view span_id = header.substr(kSpanIdOffset, kSpanIdLength);
  const std::string_view flags = header.substr(kFlagsOffset, 2);
  if (!IsLowerHex(trace_id) || !IsLowerHex(span_id) || !IsLowerHex(flags)) return std::nullopt;
  if (IsAllZero(trace_id) || IsAllZero(span_id)) return std::nullopt;

  TraceContext context;
  context.trace_id = std::string(trace_id);
  context.span_id = std::string(span_id);
  context.flags = static_cast<uint8_t>(LowerHexValue(flags[0]) * 16 + LowerHexValue(flags[1]));
  return context;
}

TraceContext NewTrace() {
  TraceContext context;
  context.trace_id = RandomNonZeroHex(kTraceIdLength / 2);
  context.span_id = RandomNonZeroHex(kSpanIdLength / 2);
  context.flags = 1;
  return context;
}

TraceContext ChildOf(const TraceContext& parent) {
  TraceContext child = parent;
  child.span_id = RandomNonZeroHex(kSpanIdLength / 2);
  return child;
}

}  // namespace kiln
