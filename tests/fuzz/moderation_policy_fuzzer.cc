// libFuzzer target: ModerationPolicy::Parse (the admin API's PUT body) must
// refuse anything malformed with an error, never crash; a parsed policy must
// give thresholds at every tolerance and survive a match of its patterns.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kiln/moderation/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  kiln::StatusOr<kiln::ModerationPolicy> policy = kiln::ModerationPolicy::Parse(text);
  if (!policy.ok()) return 0;
  for (int tolerance = 0; tolerance <= 6; ++tolerance) {
    for (const auto& [category, thresholds] : policy->categories) (void)policy->At(category, tolerance);
  }
  (void)policy->MatchBlockPattern("a large red circle in the top left on a white background");
  return 0;
}
