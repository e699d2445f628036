#include "kiln/server/rate_limiter.h"

#include <algorithm>

namespace kiln {

double RateLimiter::Acquire(std::string_view tenant, double rate, double burst, double now_s) {
  if (rate <= 0) return 0;
  const double capacity = burst > 0 ? burst : std::max(1.0, rate);
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = buckets_.try_emplace(std::string(tenant));
  Bucket& b = it->second;
  if (inserted) {
    b.tokens = capacity;
  } else {
    b.tokens = std::min(capacity, b.tokens + (now_s - b.updated_s) * rate);
  }
  b.updated_s = now_s;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return (1.0 - b.tokens) / rate;
}

}  // namespace kiln
