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
// all-zero case, which the spec reserves as invalid. Trace ids need to be
// unique, not secret: a per-thread xorshift generator seeded once from the
// system's CSPRNG costs nanoseconds where RAND_bytes costs a microsecond per
// request.
std::string RandomNonZeroHex(int bytes) {
  thread_local uint64_t state = [] {
    uint64_t seed = 0;
    const std::string hex = RandomHex(8);
    for (char c : hex) seed = seed * 16 + static_cast<uint64_t>(LowerHexValue(c));
    return seed | 1;
  }();
  constexpr char kHex[] = "0123456789abcdef";
  for (;;) {
    std::string hex(static_cast<size_t>(bytes) * 2, '0');
    for (size_t i = 0; i < hex.size(); i += 16) {
      state ^= state << 13;  // xorshift64
      state ^= state >> 7;
      state ^= state << 17;
      uint64_t word = state * 0x2545F4914F6CDD1Dull;
      for (size_t j = i; j < hex.size() && j < i + 16; ++j, word >>= 4) hex[j] = kHex[word & 15];
    }
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
