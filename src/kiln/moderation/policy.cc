#include "kiln/moderation/policy.h"

#include <algorithm>
#include <regex>
#include <set>

#include "kiln/base/json_fields.h"

namespace kiln {

struct ModerationPolicy::CompiledPatterns {
  std::vector<std::regex> patterns;
};

std::string_view ModerationActionName(ModerationAction action) {
  switch (action) {
    case ModerationAction::kAllow: return "allow";
    case ModerationAction::kFlag: return "flag";
    case ModerationAction::kReview: return "review";
    case ModerationAction::kBlock: return "block";
  }
  return "allow";
}

const std::vector<std::string>& ModerationCategories() {
  static const std::vector<std::string> categories = {
      "sexual", "sexual/minors", "violence", "hate", "harassment", "self-harm", "illicit", "profanity"};
  return categories;
}

bool IsConceptCategory(std::string_view category) {
  constexpr std::string_view kPrefix = "concept/";
  if (category.size() <= kPrefix.size() || category.size() > kPrefix.size() + 64) return false;
  if (category.substr(0, kPrefix.size()) != kPrefix) return false;
  return std::all_of(category.begin() + kPrefix.size(), category.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

namespace {

Status ReadThreshold(JsonFields& fields, const std::string& name, double* out) {
  double value = *out;
  KILN_RETURN_IF_ERROR(fields.Double(name, &value));
  if (!(value >= 0.0 && value <= 2.0)) return fields.FieldError(name, "must be a number in [0, 1] (above 1: off)");
  *out = value;
  return Status::Ok();
}

// A map of category → thresholds ("categories" or "image_categories").
Status ReadCategories(JsonFields& fields, const std::string& key, std::map<std::string, CategoryThresholds>* out) {
  const nlohmann::json* categories = nullptr;
  KILN_RETURN_IF_ERROR(fields.Object(key, &categories));
  if (categories != nullptr) {
    const auto& known = ModerationCategories();
    for (const auto& [name, value] : categories->items()) {
      if (name == kSexualMinors) {
        return Status::InvalidArgument(
            "policy: " + key + ".sexual/minors: a rule, not a score: blocked at every safety_tolerance; "
            "it takes no thresholds");
      }
      if (std::find(known.begin(), known.end(), name) == known.end() && !IsConceptCategory(name)) {
        return Status::InvalidArgument("policy: " + key + "." + name + ": unknown category (known: sexual, violence, "
                                       "hate, harassment, self-harm, illicit, profanity, concept/<name>)");
      }
      if (!value.is_object()) return Status::InvalidArgument("policy: " + key + "." + name + " must be an object");
      JsonFields t(value, "policy: " + key + "." + name);
      CategoryThresholds th;
      KILN_RETURN_IF_ERROR(ReadThreshold(t, "flag", &th.flag));
      KILN_RETURN_IF_ERROR(ReadThreshold(t, "review", &th.review));
      KILN_RETURN_IF_ERROR(ReadThreshold(t, "block", &th.block));
      KILN_RETURN_IF_ERROR(t.RejectUnknown());
      auto out_of_order = [](double lower, double higher) { return lower <= 1.0 && higher <= 1.0 && lower > higher; };
      if (out_of_order(th.flag, th.review) || out_of_order(th.review, th.block) || out_of_order(th.flag, th.block)) {
        return Status::InvalidArgument("policy: " + key + "." + name + ": thresholds must satisfy flag <= review <= block");
      }
      (*out)[name] = th;
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<ModerationPolicy> ModerationPolicy::Parse(const std::string& json_text) {
  KILN_ASSIGN_OR_RETURN(nlohmann::json root, JsonFields::ParseObject(json_text, "policy"));
  ModerationPolicy p;
  p.categories.clear();
  JsonFields fields(root, "policy");
  int64_t version = 0;
  KILN_RETURN_IF_ERROR(fields.Int("version", &version));
  if (version < 1) return fields.FieldError("version", "is required: an integer >= 1 (policies are versioned)");
  p.version = static_cast<int>(version);
  KILN_RETURN_IF_ERROR(fields.Double("tolerance_step", &p.tolerance_step));
  if (!(p.tolerance_step >= 0.0 && p.tolerance_step <= 0.5)) {
    return fields.FieldError("tolerance_step", "must be in [0, 0.5]");
  }

  KILN_RETURN_IF_ERROR(ReadCategories(fields, "categories", &p.categories));
  KILN_RETURN_IF_ERROR(ReadCategories(fields, "image_categories", &p.image_categories));
  KILN_RETURN_IF_ERROR(fields.StringList("block_terms", &p.block_terms));
  KILN_RETURN_IF_ERROR(fields.StringList("allow_terms", &p.allow_terms));
  KILN_RETURN_IF_ERROR(fields.StringList("block_patterns", &p.block_patterns));
  for (const auto* list : {&p.block_terms, &p.allow_terms, &p.block_patterns}) {
    for (const std::string& entry : *list) {
      if (entry.empty()) return Status::InvalidArgument("policy: term lists and patterns take no empty strings");
    }
  }
  auto compiled = std::make_shared<CompiledPatterns>();
  for (size_t i = 0; i < p.block_patterns.size(); ++i) {
    try {
      compiled->patterns.emplace_back(p.block_patterns[i], std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error& e) {
      return Status::InvalidArgument("policy: block_patterns[" + std::to_string(i) + "]: not a valid regular "
                                     "expression (" + e.what() + ")");
    }
  }
  p.compiled_patterns = std::move(compiled);
  const nlohmann::json* stages = nullptr;
  KILN_RETURN_IF_ERROR(fields.Object("stages", &stages));
  if (stages != nullptr) {
    JsonFields s(*stages, "policy: stages");
    KILN_RETURN_IF_ERROR(s.Bool("prompt", &p.check_prompt));
    KILN_RETURN_IF_ERROR(s.Bool("input_image", &p.check_input_image));
    KILN_RETURN_IF_ERROR(s.Bool("output_image", &p.check_output_image));
    KILN_RETURN_IF_ERROR(s.RejectUnknown());
  }
  KILN_RETURN_IF_ERROR(fields.RejectUnknown());
  return p;
}

ModerationPolicy ModerationPolicy::Default() {
  ModerationPolicy p;
  p.version = 1;
  p.categories = {
      {"sexual", {0.40, 0.60, 0.80}},     {"violence", {0.50, 0.70, 0.85}},  {"hate", {0.40, 0.60, 0.80}},
      {"harassment", {0.50, 0.70, 0.85}}, {"self-harm", {0.40, 0.60, 0.80}}, {"illicit", {0.50, 0.70, 0.85}},
      {"profanity", {0.50, 2.0, 2.0}},
  };
  p.image_categories = {{"sexual", {0.50, 0.90, 0.97}}};
  return p;
}

bool ModerationPolicy::ChecksStage(std::string_view stage) const {
  if (stage == "prompt") return check_prompt;
  if (stage == "input_image") return check_input_image;
  if (stage == "output_image") return check_output_image;
  return true;
}

int ModerationPolicy::MatchBlockPattern(std::string_view text) const {
  if (compiled_patterns == nullptr) return -1;
  for (size_t i = 0; i < compiled_patterns->patterns.size(); ++i) {
    if (std::regex_search(text.begin(), text.end(), compiled_patterns->patterns[i])) return static_cast<int>(i);
  }
  return -1;
}

CategoryThresholds ModerationPolicy::At(std::string_view category, int safety_tolerance, bool image) const {
  const std::string name(category);
  const std::map<std::string, CategoryThresholds>& map =
      image && image_categories.count(name) > 0 ? image_categories : categories;
  auto it = map.find(name);
  if (it == map.end()) return CategoryThresholds{};
  const double shift = (std::clamp(safety_tolerance, 0, 6) - 2) * tolerance_step;
  auto move = [&](double threshold) {
    if (threshold > 1.0) return threshold;  // off stays off
    return std::clamp(threshold + shift, 0.0, 1.0 + 1e-9);
  };
  return CategoryThresholds{move(it->second.flag), move(it->second.review), move(it->second.block)};
}

bool IsImageSignal(const ModerationSignal& signal) {
  return signal.source == "nsfw_image" || signal.source == "concept";
}

ModerationDecision Decide(const ModerationPolicy& policy, int safety_tolerance,
                          const std::vector<ModerationSignal>& signals) {
  ModerationDecision d;
  std::set<std::string> categories;
  for (const ModerationSignal& s : signals) {
    ModerationReason r;
    r.signal = s;
    r.policy_version = policy.version;
    const bool absolute = (s.category == kSexualMinors && s.source == "rule") || s.source == "block_term" ||
                          s.source == "block_pattern";
    if (absolute) {
      r.action = ModerationAction::kBlock;
      r.threshold = 0;
    } else {
      const CategoryThresholds t = policy.At(s.category, safety_tolerance, IsImageSignal(s));
      if (s.score >= t.block) {
        r.action = ModerationAction::kBlock;
        r.threshold = t.block;
      } else if (s.score >= t.review) {
        r.action = ModerationAction::kReview;
        r.threshold = t.review;
      } else if (s.score >= t.flag) {
        r.action = ModerationAction::kFlag;
        r.threshold = t.flag;
      } else {
        continue;
      }
    }
    d.action = std::max(d.action, r.action);
    categories.insert(s.category);
    d.reasons.push_back(std::move(r));
  }
  d.categories.assign(categories.begin(), categories.end());
  return d;
}

}  // namespace kiln
