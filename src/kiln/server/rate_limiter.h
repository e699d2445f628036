// Per-tenant token buckets: the submit rate limit of the embedded default
// (Redis-backed in the scale-out deployment). Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kiln {

class RateLimiter {
 public:
  // Takes one token from the tenant's bucket (rate tokens/s, burst capacity;
  // rate <= 0: unlimited). Returns 0 when allowed, else the seconds until a
  // token is available (for Retry-After). now_s: a monotonic clock.
  double Acquire(std::string_view tenant, double rate, double burst, double now_s);

 private:
  struct Bucket {
    double tokens = 0;
    double updated_s = 0;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace kiln
