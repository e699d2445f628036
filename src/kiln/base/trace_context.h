// W3C Trace Context (traceparent): "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiln {

struct TraceContext {
  std::string trace_id;  // 32 lowercase hex, not all zero
  std::string span_id;   // 16 lowercase hex, not all zero
  uint8_t flags = 1;     // bit 0: sampled

  // "00-trace-span-flags"
  std::string ToTraceparent() const;
};

// Parses a traceparent header; nullopt when malformed (per the spec's rules:
// version ff invalid, all-zero ids invalid, uppercase hex invalid; future
// versions are parsed by their first four fields).
std::optional<TraceContext> ParseTraceparent(std::string_view header);
// A new random trace (no parent).
TraceContext NewTrace();
// The same trace with a new random span id: what a service sends downstream.
TraceContext ChildOf(const TraceContext& parent);

}  // namespace kiln
