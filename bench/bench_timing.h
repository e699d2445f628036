// What the C++ benchmarks share: time a call `reps` times after warming it
// up (buffers sized, caches filled) and return the times, sorted, in ms.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

namespace kiln::bench {

inline std::vector<double> TimeSortedMs(int reps, int warmup, const std::function<void()>& run) {
  for (int w = 0; w < warmup; ++w) run();
  std::vector<double> ms;
  ms.reserve(static_cast<size_t>(reps));
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

inline double Median(const std::vector<double>& sorted) { return sorted[sorted.size() / 2]; }

// The smallest time at or above 99 % of the runs (nearest rank).
inline double P99(const std::vector<double>& sorted) {
  return sorted[std::min(sorted.size() - 1, (sorted.size() * 99 + 99) / 100 - 1)];
}

}  // namespace kiln::bench
