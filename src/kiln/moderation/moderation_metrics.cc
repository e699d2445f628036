#include "kiln/moderation/moderation_metrics.h"

#include <string>

namespace kiln {
namespace {

// Scores are probabilities: twenty equal buckets show a distribution's shape
// and its shift over time.
const std::vector<double>& ScoreBuckets() {
  static const std::vector<double> bounds = [] {
    std::vector<double> b;
    for (int i = 1; i <= 20; ++i) b.push_back(i * 0.05);
    return b;
  }();
  return bounds;
}

// Finer than LatencyBuckets at the low end: the goals are 5 ms (prompt) and 30 ms (image).
const std::vector<double>& CheckBuckets() {
  static const std::vector<double> bounds = {0.00025, 0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01,
                                             0.015,   0.02,   0.03,  0.05,  0.075, 0.1,   0.25,  0.5,    1.0};
  return bounds;
}

}  // namespace

void ModerationMetrics::Record(std::string_view tenant_view, std::string_view stage_view,
                               const std::vector<ModerationSignal>& signals, const ModerationDecision& decision,
                               double seconds) {
  const std::string tenant(tenant_view), stage(stage_view);
  registry_
      .GetCounter("kiln_moderation_checks_total", "Moderation checks by tenant, stage and resulting action",
                  {{"tenant", tenant}, {"stage", stage}, {"action", std::string(ModerationActionName(decision.action))}})
      .Increment();
  for (const ModerationReason& r : decision.reasons) {
    registry_
        .GetCounter("kiln_moderation_decisions_total", "Reasons that fired, by tenant, stage, category and action",
                    {{"tenant", tenant},
                     {"stage", stage},
                     {"category", r.signal.category},
                     {"action", std::string(ModerationActionName(r.action))}})
        .Increment();
  }
  for (const ModerationSignal& s : signals) {
    registry_
        .GetHistogram("kiln_moderation_score", "Scores of every moderation signal, by stage, category and source",
                      {{"stage", stage}, {"category", s.category}, {"source", s.source}}, ScoreBuckets())
        .Observe(s.score);
  }
  registry_
      .GetHistogram("kiln_moderation_check_seconds", "Latency of a moderation check (signals and decision)",
                    {{"stage", stage}}, CheckBuckets())
      .Observe(seconds);
}

}  // namespace kiln
