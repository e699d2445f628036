#include "kiln/moderation/prompt_checker.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace kiln {
namespace {

const std::string kSource = KILN_SOURCE_DIR;

std::unique_ptr<PromptChecker> LoadChecker(bool classifier) {
  PromptCheckerOptions options;
  options.data_dir = kSource + "/data";
  if (classifier) {
    options.heads_path = kSource + "/models/text-moderation-heads/heads.json";
    options.embedder_dir = kSource + "/models/minilm-l6-v2";
  }
  auto checker = PromptChecker::Load(options);
  EXPECT_TRUE(checker.ok()) << checker.status().ToString();
  return checker.ok() ? std::move(checker).value() : nullptr;
}

std::vector<ModerationSignal> CheckOne(const PromptChecker& checker, const std::string& prompt,
                                       const ModerationPolicy& policy) {
  ThreadPool pool(1);
  auto ws = NewPromptCheckWorkspace();
  std::vector<std::vector<ModerationSignal>> signals;
  checker.Check(pool, {prompt}, policy, *ws, &signals);
  EXPECT_EQ(signals.size(), 1u);
  return signals.empty() ? std::vector<ModerationSignal>{} : signals[0];
}

bool Has(const std::vector<ModerationSignal>& signals, const std::string& category, const std::string& source) {
  for (const auto& s : signals) {
    if (s.category == category && s.source == source) return true;
  }
  return false;
}

TEST(PromptCheckerTest, WithoutClassifierLexiconAndRuleOnly) {
  auto checker = LoadChecker(false);
  ASSERT_NE(checker, nullptr);
  EXPECT_FALSE(checker->has_classifier());
  const ModerationPolicy policy = ModerationPolicy::Default();

  // A sexual term alone flags (recorded) but is not held.
  auto s = CheckOne(*checker, "a nude woman on a beach", policy);
  ASSERT_TRUE(Has(s, "sexual", "lexicon"));
  for (const auto& signal : s) EXPECT_EQ(signal.detail.find("nude"), std::string::npos) << signal.detail;
  EXPECT_EQ(Decide(policy, 2, s).action, ModerationAction::kFlag);

  // The rule: a minor and a sexual term block at every tolerance.
  s = CheckOne(*checker, "a n.u.d.e child", policy);
  ASSERT_TRUE(Has(s, std::string(kSexualMinors), "rule"));
  EXPECT_EQ(Decide(policy, 6, s).action, ModerationAction::kBlock);
  // An ordinary prompt about a child gives nothing.
  EXPECT_TRUE(CheckOne(*checker, "a child playing in the park", policy).empty());
  // Trap words give no signal reaching review.
  for (const char* prompt : {"a breast stroke swimmer", "kill the lights", "a shooting star", "a drug store facade",
                             "the hanging gardens of babylon", "a bloody mary cocktail"}) {
    EXPECT_LT(Decide(policy, 2, CheckOne(*checker, prompt, policy)).action, ModerationAction::kReview) << prompt;
  }
}

TEST(PromptCheckerTest, BlockTermsAllowTermsAndPatterns) {
  auto checker = LoadChecker(false);
  ASSERT_NE(checker, nullptr);
  StatusOr<ModerationPolicy> policy = ModerationPolicy::Parse(R"({"version": 4,
      "categories": {"sexual": {"flag": 0.4, "review": 0.6, "block": 0.8}},
      "block_terms": ["triangle", "red logo"], "allow_terms": ["sexy sports car", "nude"],
      "block_patterns": ["\\bsq(ua)?re\\b"]})");
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();

  auto s = CheckOne(*checker, "a big T.R.I.A.N.G.L.E on a wall", *policy);
  ASSERT_TRUE(Has(s, "policy", "block_term"));
  EXPECT_EQ(Decide(*policy, 6, s).action, ModerationAction::kBlock);
  EXPECT_FALSE(Has(CheckOne(*checker, "three triangles", *policy), "policy", "block_term"));  // whole words
  EXPECT_TRUE(Has(CheckOne(*checker, "a Red   Logo", *policy), "policy", "block_term"));

  s = CheckOne(*checker, "a blue square", *policy);
  ASSERT_TRUE(Has(s, "policy", "block_pattern"));
  EXPECT_EQ(s.back().detail, "matched block_patterns[0]");
  EXPECT_FALSE(Has(CheckOne(*checker, "a blue squirrel", *policy), "policy", "block_pattern"));

  EXPECT_TRUE(Has(CheckOne(*checker, "a sexy dress", *policy), "sexual", "lexicon"));
  EXPECT_FALSE(Has(CheckOne(*checker, "a sexy sports car", *policy), "sexual", "lexicon"));
  // allow_terms never switch the sexual/minors rule off.
  s = CheckOne(*checker, "a nude child", *policy);
  EXPECT_FALSE(Has(s, "sexual", "lexicon"));
  EXPECT_TRUE(Has(s, std::string(kSexualMinors), "rule"));
}

TEST(PromptCheckerTest, ClassifierSeparatesTrapWordsFromViolations) {
  if (!std::filesystem::is_directory(kSource + "/models/minilm-l6-v2")) GTEST_SKIP() << "no models/minilm-l6-v2";
  auto checker = LoadChecker(true);
  ASSERT_NE(checker, nullptr);
  ASSERT_TRUE(checker->has_classifier());
  const ModerationPolicy policy = ModerationPolicy::Default();
  const std::vector<std::string> benign = {"a chicken breast recipe on a plate", "kill the lights in the studio",
                                           "a knife skills cooking class", "a shooting star over a lake",
                                           "a photo shoot in a bright studio", "a portrait of an old sailor"};
  const std::vector<std::pair<std::string, std::string>> violating = {
      {"an explicit pornographic scene of two adults having sex", "sexual"},
      {"a meme mocking immigrants as subhuman vermin", "hate"},
      {"a person cutting their wrists with a razor blade, blood in the sink", "self-harm"},
  };
  std::vector<std::string> prompts = benign;
  for (const auto& [p, c] : violating) prompts.push_back(p);
  // More than one embedding batch: the chunked path must agree with one by one.
  while (prompts.size() < 40) prompts.push_back(benign[prompts.size() % benign.size()]);
  ThreadPool pool(2);
  auto ws = NewPromptCheckWorkspace();
  std::vector<std::vector<ModerationSignal>> signals;
  checker->Check(pool, prompts, policy, *ws, &signals);
  ASSERT_EQ(signals.size(), prompts.size());
  for (size_t i = 0; i < benign.size(); ++i) {
    EXPECT_LT(Decide(policy, 2, signals[i]).action, ModerationAction::kReview) << benign[i];
  }
  for (size_t i = 0; i < violating.size(); ++i) {
    const ModerationDecision d = Decide(policy, 2, signals[benign.size() + i]);
    EXPECT_GE(d.action, ModerationAction::kReview) << violating[i].first;
    EXPECT_NE(std::find(d.categories.begin(), d.categories.end(), violating[i].second), d.categories.end())
        << violating[i].first;
  }
  // One classifier signal per category, whatever its score.
  int classifier_signals = 0;
  for (const auto& s : signals[0]) classifier_signals += s.source == "classifier";
  EXPECT_EQ(classifier_signals, 6);
  const auto single = CheckOne(*checker, prompts[39], policy);
  ASSERT_EQ(single.size(), signals[39].size());
  for (size_t k = 0; k < single.size(); ++k) EXPECT_NEAR(single[k].score, signals[39][k].score, 1e-4);
}

}  // namespace
}  // namespace kiln
