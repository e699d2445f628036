#include "kiln/moderation/decision_json.h"

#include <cmath>

namespace kiln {
namespace {

// Scores are probabilities: four decimals say all there is to say and keep
// the audit log and API bodies short.
double Round4(double x) { return std::round(x * 1e4) / 1e4; }

}  // namespace

nlohmann::json ReasonsJson(const ModerationDecision& decision) {
  nlohmann::json reasons = nlohmann::json::array();
  for (const ModerationReason& r : decision.reasons) {
    reasons.push_back({{"category", r.signal.category},
                       {"source", r.signal.source},
                       {"score", Round4(r.signal.score)},
                       {"action", std::string(ModerationActionName(r.action))},
                       {"threshold", Round4(r.threshold)},
                       {"policy_version", r.policy_version},
                       {"detail", r.signal.detail}});
  }
  return reasons;
}

nlohmann::json DecisionJson(const ModerationDecision& decision, std::string_view stage, int policy_version) {
  return {{"stage", std::string(stage)},
          {"action", std::string(ModerationActionName(decision.action))},
          {"categories", decision.categories},
          {"policy_version", policy_version},
          {"reasons", ReasonsJson(decision)}};
}

std::string AddDecisionToDetails(std::string_view details_json, const ModerationDecision& decision,
                                 std::string_view stage, int policy_version, bool stopped) {
  nlohmann::json details = nlohmann::json::parse(details_json, nullptr, /*allow_exceptions=*/false);
  if (!details.is_object()) details = nlohmann::json::object();  // "" or anything not written by this function
  if (!details["moderation"].is_array()) details["moderation"] = nlohmann::json::array();
  details["moderation"].push_back(DecisionJson(decision, stage, policy_version));
  if (stopped) details["Moderation Reasons"] = decision.categories;
  return details.dump();
}

}  // namespace kiln
