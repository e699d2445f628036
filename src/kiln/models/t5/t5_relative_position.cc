#include "kiln/models/t5/t5_relative_position.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace kiln {

int64_t T5RelativePositionBucket(int64_t relative_position, int64_t num_buckets, int64_t max_distance) {
  const int64_t half = num_buckets / 2;  // buckets per direction
  const int64_t offset = relative_position > 0 ? half : 0;
  const int64_t distance = std::abs(relative_position);
  const int64_t max_exact = half / 2;
  if (distance < max_exact) return offset + distance;
  // The same float32 operations, in the same order, as the reference's
  // torch.log(d.float() / max_exact) / math.log(max_distance / max_exact) *
  // (half − max_exact): at distances where the real value is a whole number
  // (max_exact·2^k when max_distance/max_exact is a power of two) a double
  // computation could land on the other side of it and change the bucket.
  const float ratio = static_cast<float>(distance) / static_cast<float>(max_exact);
  const float log_range = static_cast<float>(std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact)));
  const float scaled = std::log(ratio) / log_range * static_cast<float>(half - max_exact);
  const int64_t large = max_exact + static_cast<int64_t>(scaled);
  return offset + std::min(large, half - 1);
}

void T5PositionBias(float* out, const float* table, int64_t heads, int64_t seq_len, int64_t num_buckets,
                    int64_t max_distance) {
  // The bias depends only on j − i: look each offset up once.
  std::vector<int64_t> bucket(static_cast<size_t>(2 * seq_len - 1));  // offset + seq_len − 1
  for (int64_t r = 0; r < 2 * seq_len - 1; ++r) {
    bucket[r] = T5RelativePositionBucket(r - (seq_len - 1), num_buckets, max_distance);
  }
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < seq_len; ++i) {
      float* row = out + (h * seq_len + i) * seq_len;  // (seq_len)
      for (int64_t j = 0; j < seq_len; ++j) row[j] = table[bucket[j - i + seq_len - 1] * heads + h];
    }
  }
}

}  // namespace kiln
