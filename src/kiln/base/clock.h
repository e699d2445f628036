// The clocks of the codebase: wall time as unix seconds/milliseconds (what is
// stored and shown to clients) and a monotonic clock for durations.
#pragma once

#include <chrono>
#include <cstdint>

namespace kiln {

inline int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Seconds on the steady clock: only differences mean anything.
inline double MonotonicSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace kiln
