// The JSON forms of a moderation decision: the reasons as the audit log keeps
// them, and the "details" object get_result shows for a moderated or flagged
// job. Both carry categories, sources, scores, thresholds and the policy
// version — never a raw lexicon entry (signals' details are already safe).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kiln/moderation/policy.h"

namespace kiln {

// [{"category", "source", "score", "action", "threshold", "policy_version", "detail"}, ...]
nlohmann::json ReasonsJson(const ModerationDecision& decision);

// {"stage", "action", "categories", "policy_version", "reasons"}.
nlohmann::json DecisionJson(const ModerationDecision& decision, std::string_view stage, int policy_version);

// A job's details (get_result's "details" object, "" = none) with a stage's
// decision added: DecisionJson appended to the "moderation" array and, when
// the decision stopped the job, its categories as BFL's "Moderation Reasons".
std::string AddDecisionToDetails(std::string_view details_json, const ModerationDecision& decision,
                                 std::string_view stage, int policy_version, bool stopped);

}  // namespace kiln
