#include "kiln/moderation/policy.h"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

namespace kiln {
namespace {

ModerationSignal Signal(const char* category, double score, const char* source = "classifier") {
  return ModerationSignal{category, score, source, ""};
}

TEST(ModerationPolicyTest, ParsesEveryField) {
  StatusOr<ModerationPolicy> p = ModerationPolicy::Parse(R"({
    "version": 7,
    "categories": {"sexual": {"flag": 0.3, "review": 0.5, "block": 0.7}, "violence": {"block": 0.9}},
    "tolerance_step": 0.1,
    "block_terms": ["triangle"], "allow_terms": ["breast stroke"], "block_patterns": ["\\bsq(ua)?re\\b"],
    "stages": {"prompt": true, "input_image": false, "output_image": true}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->version, 7);
  EXPECT_DOUBLE_EQ(p->categories.at("sexual").review, 0.5);
  EXPECT_DOUBLE_EQ(p->categories.at("violence").block, 0.9);
  EXPECT_GT(p->categories.at("violence").flag, 1.0);  // not given: off
  EXPECT_DOUBLE_EQ(p->tolerance_step, 0.1);
  EXPECT_EQ(p->block_terms, std::vector<std::string>{"triangle"});
  EXPECT_EQ(p->allow_terms, std::vector<std::string>{"breast stroke"});
  EXPECT_EQ(p->MatchBlockPattern("A SQUARE on white"), 0);
  EXPECT_EQ(p->MatchBlockPattern("squares"), -1);
  EXPECT_EQ(ModerationPolicy::Default().MatchBlockPattern("anything"), -1);
  EXPECT_FALSE(p->check_input_image);
}

TEST(ModerationPolicyTest, MalformedPoliciesNameTheField) {
  auto expect_error = [](const char* json, const char* needle) {
    StatusOr<ModerationPolicy> p = ModerationPolicy::Parse(json);
    ASSERT_FALSE(p.ok()) << json;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find(needle), std::string::npos) << p.status().message();
  };
  expect_error("not json", "policy");
  expect_error(R"({"version": 0})", "version");
  expect_error(R"({"categories": {}})", "version");
  expect_error(R"({"version": 1, "categories": {"sexual": {"block": 1.5, "review": 3}}})", "review");
  expect_error(R"({"version": 1, "categories": {"sexual": {"block": "high"}}})", "block");
  expect_error(R"({"version": 1, "categories": {"sexual": {"flag": 0.9, "block": 0.5}}})", "flag <= review <= block");
  expect_error(R"({"version": 1, "categories": {"nudity": {"block": 0.5}}})", "nudity");
  expect_error(R"({"version": 1, "categories": {"sexual/minors": {"block": 0.9}}})", "rule");
  expect_error(R"({"version": 1, "categories": {"sexual": {"blok": 0.5}}})", "blok");
  expect_error(R"({"version": 1, "block_patterns": ["(unclosed"]})", "block_patterns[0]");
  expect_error(R"({"version": 1, "block_terms": [1]})", "block_terms[0]");
  expect_error(R"({"version": 1, "allow_terms": [""]})", "empty");
  expect_error(R"({"version": 1, "stages": {"prompts": true}})", "prompts");
  expect_error(R"({"version": 1, "tolerance_step": 2})", "tolerance_step");
  expect_error(R"({"version": 1, "colour": "red"})", "colour");
}

// The safety_tolerance table of docs/MODERATION.md for the default policy's
// sexual category (flag 0.40, review 0.60, block 0.80; step 0.05).
TEST(ModerationPolicyTest, ToleranceMovesThresholds) {
  const ModerationPolicy p = ModerationPolicy::Default();
  const double expected_block[] = {0.70, 0.75, 0.80, 0.85, 0.90, 0.95, 1.00};
  for (int t = 0; t <= 6; ++t) {
    EXPECT_NEAR(p.At("sexual", t).block, expected_block[t], 1e-9) << t;
    EXPECT_NEAR(p.At("sexual", t).flag, 0.40 + (t - 2) * 0.05, 1e-9) << t;
  }
  EXPECT_NEAR(p.At("sexual", -3).block, 0.70, 1e-9);  // clamped to 0..6
  EXPECT_NEAR(p.At("sexual", 99).block, 1.00, 1e-9);
  EXPECT_GT(p.At("profanity", 6).block, 1.0);  // off stays off at every tolerance
  EXPECT_GT(p.At("unknown-category", 0).flag, 1.0);
}

TEST(ModerationPolicyTest, DecisionTakesTheStrictestActionWithReasons) {
  const ModerationPolicy p = ModerationPolicy::Default();
  ModerationDecision d = Decide(p, 2, {Signal("sexual", 0.65), Signal("violence", 0.2), Signal("hate", 0.45)});
  EXPECT_EQ(d.action, ModerationAction::kReview);
  ASSERT_EQ(d.reasons.size(), 2u);  // violence 0.2 is below every threshold
  EXPECT_EQ(d.reasons[0].signal.category, "sexual");
  EXPECT_EQ(d.reasons[0].action, ModerationAction::kReview);
  EXPECT_DOUBLE_EQ(d.reasons[0].threshold, 0.60);
  EXPECT_EQ(d.reasons[0].policy_version, 1);
  EXPECT_EQ(d.reasons[1].action, ModerationAction::kFlag);
  EXPECT_EQ(d.categories, (std::vector<std::string>{"hate", "sexual"}));

  // The same score blocks at tolerance 0 and passes at 6.
  EXPECT_EQ(Decide(p, 0, {Signal("sexual", 0.72)}).action, ModerationAction::kBlock);
  EXPECT_EQ(Decide(p, 6, {Signal("sexual", 0.72)}).action, ModerationAction::kFlag);
  EXPECT_EQ(Decide(p, 2, {}).action, ModerationAction::kAllow);
}

TEST(ModerationPolicyTest, MinorsRuleAndBlockTermsBlockAtEveryTolerance) {
  ModerationPolicy lenient;  // no category thresholds at all
  for (int t = 0; t <= 6; ++t) {
    EXPECT_EQ(Decide(lenient, t, {Signal("sexual/minors", 1.0, "rule")}).action, ModerationAction::kBlock) << t;
    EXPECT_EQ(Decide(lenient, t, {Signal("illicit", 1.0, "block_term")}).action, ModerationAction::kBlock) << t;
  }
  // A sexual/minors score from a classifier is not the rule: thresholds apply (none here).
  EXPECT_EQ(Decide(lenient, 2, {Signal("sexual/minors", 0.99, "classifier")}).action, ModerationAction::kAllow);
}

}  // namespace
}  // namespace kiln

namespace kiln {
namespace {

// The documented default policy file is ModerationPolicy::Default(), value for value.
TEST(ModerationPolicyTest, DefaultPolicyFileIsTheDefault) {
  std::string text;
  {
    std::ifstream in(std::string(KILN_SOURCE_DIR) + "/data/moderation/default_policy.json");
    ASSERT_TRUE(in.good());
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  StatusOr<ModerationPolicy> parsed = ModerationPolicy::Parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const ModerationPolicy d = ModerationPolicy::Default();
  EXPECT_EQ(parsed->version, d.version);
  EXPECT_DOUBLE_EQ(parsed->tolerance_step, d.tolerance_step);
  ASSERT_EQ(parsed->categories.size(), d.categories.size());
  for (const auto& [name, t] : d.categories) {
    const CategoryThresholds& p = parsed->categories.at(name);
    EXPECT_DOUBLE_EQ(p.flag, t.flag) << name;
    EXPECT_DOUBLE_EQ(p.review, t.review) << name;
    EXPECT_DOUBLE_EQ(p.block, t.block) << name;
  }
  ASSERT_EQ(parsed->image_categories.size(), d.image_categories.size());
  for (const auto& [name, t] : d.image_categories) {
    const CategoryThresholds& p = parsed->image_categories.at(name);
    EXPECT_DOUBLE_EQ(p.flag, t.flag) << name;
    EXPECT_DOUBLE_EQ(p.review, t.review) << name;
    EXPECT_DOUBLE_EQ(p.block, t.block) << name;
  }
}

TEST(ModerationPolicyTest, ImageSignalsTakeImageThresholdsWhereGiven) {
  StatusOr<ModerationPolicy> p = ModerationPolicy::Parse(
      R"({"version": 2, "categories": {"sexual": {"block": 0.5}, "violence": {"block": 0.5}},
          "image_categories": {"sexual": {"block": 0.95}}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(Decide(*p, 2, {{"sexual", 0.7, "classifier", ""}}).action, ModerationAction::kBlock);
  EXPECT_EQ(Decide(*p, 2, {{"sexual", 0.7, "nsfw_image", ""}}).action, ModerationAction::kAllow);
  EXPECT_EQ(Decide(*p, 2, {{"sexual", 0.96, "nsfw_image", ""}}).action, ModerationAction::kBlock);
  // Not named among the image thresholds: the text ones apply.
  EXPECT_EQ(Decide(*p, 2, {{"violence", 0.6, "concept", ""}}).action, ModerationAction::kBlock);
  EXPECT_FALSE(ModerationPolicy::Parse(R"({"version": 2, "image_categories": {"sexual/minors": {"block": 0.5}}})").ok());
  StatusOr<ModerationPolicy> bad = ModerationPolicy::Parse(R"({"version": 2, "image_categories": {"nudity": {}}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("image_categories.nudity"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace kiln
