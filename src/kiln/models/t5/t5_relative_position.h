// T5's relative position bias: a learned scalar per head for each bucket of
// key_position − query_position, added to the attention scores. Computed from
// block 0's table and shared by every block, as in the reference.
#pragma once

#include <cstdint>

namespace kiln {

// Hugging Face T5Attention._relative_position_bucket, bidirectional (the
// encoder): relative_position = key − query. Half the buckets are for
// positive offsets; in each half, |offset| < num_buckets/4 gets its own
// bucket and larger ones share log-spaced buckets up to max_distance, beyond
// which all share the last.
// REQUIRES: num_buckets >= 4, max_distance > num_buckets/4 (T5Config::Validate)
int64_t T5RelativePositionBucket(int64_t relative_position, int64_t num_buckets, int64_t max_distance);

// The bias of every (head, query, key) pair:
//   out   (heads, seq_len, seq_len): out[h, i, j] = table[bucket(j − i), h]
//   table (num_buckets, heads): relative_attention_bias.weight
void T5PositionBias(float* out, const float* table, int64_t heads, int64_t seq_len, int64_t num_buckets,
                    int64_t max_distance);

}  // namespace kiln
