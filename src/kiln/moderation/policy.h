// ModerationPolicy: one tenant's moderation rules, versioned, as JSON
// (docs/MODERATION.md shows the format and the safety_tolerance table):
//
//   {"version": 3,
//    "categories": {"sexual": {"block": 0.8, "review": 0.6, "flag": 0.4}, ...},
//    "image_categories": {"sexual": {"flag": 0.5, "review": 0.9, "block": 0.97}},
//    "tolerance_step": 0.05,
//    "block_terms": ["..."], "allow_terms": ["..."], "block_patterns": ["regex"],
//    "stages": {"prompt": true, "input_image": true, "output_image": true}}
//
// Thresholds are scores in [0, 1]; an action fires when a signal's score is
// at or above its threshold (a threshold above 1 never fires). safety_tolerance
// moves every threshold by (tolerance − 2) × tolerance_step: 0 is strictest,
// 2 the policy as written, 6 most permissive. sexual/minors is a rule, not a
// score: blocked at every tolerance, and a policy cannot give it thresholds.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/status.h"

namespace kiln {

enum class ModerationAction { kAllow = 0, kFlag, kReview, kBlock };
std::string_view ModerationActionName(ModerationAction action);  // "allow", "flag", "review", "block"

// The categories a policy may name (OpenAI's moderation names where they exist).
const std::vector<std::string>& ModerationCategories();
inline constexpr std::string_view kSexualMinors = "sexual/minors";
// "concept/<name>" with name in [a-z0-9_-]{1,64}: a tenant's concept head (concept_head.h).
bool IsConceptCategory(std::string_view category);

struct CategoryThresholds {
  double flag = 2.0;  // > 1: off
  double review = 2.0;
  double block = 2.0;
};

struct ModerationPolicy {
  int version = 1;
  std::map<std::string, CategoryThresholds> categories;
  // Thresholds for image signals (the NSFW classifier, concept heads) where
  // they differ from the text ones: each classifier's scores are calibrated
  // differently. A category not named here uses `categories`.
  std::map<std::string, CategoryThresholds> image_categories;
  double tolerance_step = 0.05;
  std::vector<std::string> block_terms;  // normalised like prompts before matching
  std::vector<std::string> allow_terms;  // lexicon hits on these terms are dropped
  std::vector<std::string> block_patterns;
  bool check_prompt = true;
  bool check_input_image = true;
  bool check_output_image = true;

  // Errors name the field ("policy: categories.sexual.block must be a number in [0, 1]");
  // a malformed policy is refused whole, so the caller keeps the one in force.
  static StatusOr<ModerationPolicy> Parse(const std::string& json_text);
  // The policy tenants get until they set their own (data/moderation/default_policy.json
  // documents the same values).
  static ModerationPolicy Default();

  // The thresholds of a category at a safety tolerance (0..6, clamped), for
  // an image signal or a text one; all off for a category the policy does not name.
  CategoryThresholds At(std::string_view category, int safety_tolerance, bool image = false) const;

  // Whether this policy checks a stage ("prompt", "input_image",
  // "output_image"); any other stage — an explicit check — always runs.
  bool ChecksStage(std::string_view stage) const;

  // The index of the first block pattern found in text, or -1 (patterns are
  // ECMAScript regular expressions, case-insensitive, compiled by Parse).
  int MatchBlockPattern(std::string_view text) const;

  struct CompiledPatterns;  // std::regex stays inside policy.cc
  std::shared_ptr<const CompiledPatterns> compiled_patterns;
};

// One piece of evidence about a prompt or image.
struct ModerationSignal {
  std::string category;  // one of ModerationCategories(), or "concept/<name>"
  double score = 0;      // 0..1
  std::string source;    // "lexicon", "classifier", "nsfw_image", "rule", "block_term", "block_pattern"
  std::string detail;    // what fired, safe to show (never the raw lexicon entry)
};

struct ModerationReason {
  ModerationSignal signal;
  ModerationAction action = ModerationAction::kAllow;
  double threshold = 0;  // the threshold crossed (at the request's tolerance)
  int policy_version = 0;
};

struct ModerationDecision {
  ModerationAction action = ModerationAction::kAllow;  // the strictest reason's
  std::vector<ModerationReason> reasons;               // every signal that crossed a threshold
  std::vector<std::string> categories;                 // of the reasons, each once, sorted
};

// Image signals (sources "nsfw_image", "concept") take image_categories' thresholds.
bool IsImageSignal(const ModerationSignal& signal);

// Applies the policy at a tolerance to the signals. sexual/minors signals from
// the rule block always; block_term and block_pattern signals block always.
ModerationDecision Decide(const ModerationPolicy& policy, int safety_tolerance,
                          const std::vector<ModerationSignal>& signals);

}  // namespace kiln
