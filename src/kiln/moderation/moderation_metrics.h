// ModerationMetrics: what /metrics says about moderation, the raw material
// for dashboards and drift monitoring:
//   kiln_moderation_checks_total{tenant, stage, action}        one per check
//   kiln_moderation_decisions_total{tenant, stage, category, action}
//                                                                one per reason that fired
//   kiln_moderation_score{stage, category, source}              histogram of every signal's score
//   kiln_moderation_check_seconds{stage}                        latency of each check
// Thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "kiln/base/metrics.h"
#include "kiln/moderation/policy.h"

namespace kiln {

class ModerationMetrics {
 public:
  explicit ModerationMetrics(MetricsRegistry& registry) : registry_(registry) {}

  void Record(std::string_view tenant, std::string_view stage, const std::vector<ModerationSignal>& signals,
              const ModerationDecision& decision, double seconds);

 private:
  MetricsRegistry& registry_;
};

}  // namespace kiln
