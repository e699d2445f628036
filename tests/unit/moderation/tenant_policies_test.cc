#include "kiln/moderation/tenant_policies.h"

#include <gtest/gtest.h>

#include "kiln/moderation/decision_json.h"

namespace kiln {
namespace {

ConceptHead Head(const std::string& name, float bias) {
  ConceptHead h;
  h.name = name;
  h.bias = bias;
  return h;
}

TEST(TenantPoliciesTest, DefaultUntilSetAndSnapshotsStayAsTaken) {
  TenantPolicies policies(ModerationPolicy::Default(), "{\"version\": 1}");
  std::shared_ptr<const TenantModeration> before = policies.For("acme");
  EXPECT_TRUE(before->is_default);
  EXPECT_EQ(before->policy.version, 1);
  ModerationPolicy mine = ModerationPolicy::Default();
  mine.version = 4;
  policies.SetPolicy("acme", mine, "{\"version\": 4}");
  EXPECT_EQ(policies.For("acme")->policy.version, 4);
  EXPECT_EQ(policies.For("acme")->policy_json, "{\"version\": 4}");
  EXPECT_FALSE(policies.For("acme")->is_default);
  EXPECT_EQ(before->policy.version, 1);  // a check that took the old snapshot keeps it
  EXPECT_TRUE(policies.For("other")->is_default);
}

TEST(TenantPoliciesTest, ConceptsAreReplacedByNameAndPointersStayValid) {
  TenantPolicies policies(ModerationPolicy::Default(), "{}");
  policies.SetConcept("acme", Head("triangles", 1));
  policies.SetConcept("acme", Head("logos", 2));
  std::shared_ptr<const TenantModeration> two = policies.For("acme");
  policies.SetConcept("acme", Head("triangles", 3));
  std::shared_ptr<const TenantModeration> m = policies.For("acme");
  ASSERT_EQ(m->concepts.size(), 2u);
  ASSERT_EQ(m->concept_ptrs.size(), 2u);
  for (size_t i = 0; i < m->concepts.size(); ++i) EXPECT_EQ(m->concept_ptrs[i], &m->concepts[i]);
  EXPECT_EQ(m->concept_ptrs[0]->bias, 3);
  EXPECT_EQ(two->concept_ptrs[0]->bias, 1);  // the old snapshot points into its own copy
  // A policy change keeps the concepts.
  policies.SetPolicy("acme", ModerationPolicy::Default(), "{}");
  EXPECT_EQ(policies.For("acme")->concepts.size(), 2u);
  EXPECT_TRUE(policies.RemoveConcept("acme", "logos"));
  EXPECT_FALSE(policies.RemoveConcept("acme", "logos"));
  EXPECT_EQ(policies.For("acme")->concept_ptrs.size(), 1u);
  EXPECT_TRUE(policies.For("other")->concepts.empty());
}

TEST(DecisionJsonTest, DetailsCarryCategoriesAndReasonsAndKeepEarlierStages) {
  ModerationPolicy policy = ModerationPolicy::Default();
  policy.version = 7;
  const ModerationDecision flag = Decide(policy, 2, {{"violence", 0.55, "classifier", "classifier head violence"}});
  ASSERT_EQ(flag.action, ModerationAction::kFlag);
  std::string details = AddDecisionToDetails("", flag, "prompt", 7, false);
  const ModerationDecision block = Decide(policy, 2, {{"sexual", 0.93, "classifier", "classifier head sexual"}});
  details = AddDecisionToDetails(details, block, "output_image", 7, true);
  const nlohmann::json d = nlohmann::json::parse(details);
  EXPECT_EQ(d["Moderation Reasons"], nlohmann::json::array({"sexual"}));
  ASSERT_EQ(d["moderation"].size(), 2u);
  EXPECT_EQ(d["moderation"][0]["stage"], "prompt");
  EXPECT_EQ(d["moderation"][0]["action"], "flag");
  EXPECT_EQ(d["moderation"][1]["action"], "block");
  EXPECT_EQ(d["moderation"][1]["policy_version"], 7);
  const nlohmann::json& r = d["moderation"][1]["reasons"][0];
  EXPECT_EQ(r["category"], "sexual");
  EXPECT_EQ(r["source"], "classifier");
  EXPECT_DOUBLE_EQ(r["score"].get<double>(), 0.93);
  EXPECT_DOUBLE_EQ(r["threshold"].get<double>(), 0.8);
  // Details that are not an object (never written by Kiln) are replaced, not thrown on.
  EXPECT_NO_THROW(AddDecisionToDetails("not json", block, "prompt", 7, true));
}

TEST(PolicyTest, ConceptCategoriesAreAccepted) {
  StatusOr<ModerationPolicy> p =
      ModerationPolicy::Parse(R"({"version": 2, "categories": {"concept/no-logos_2": {"block": 0.5}}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_DOUBLE_EQ(p->At("concept/no-logos_2", 2).block, 0.5);
  for (const char* bad : {"concept/", "concept/Upper", "concept/a b", "concepts/x"}) {
    const std::string text = std::string(R"({"version": 2, "categories": {")") + bad + R"(": {"block": 0.5}}})";
    EXPECT_FALSE(ModerationPolicy::Parse(text).ok()) << bad;
  }
  EXPECT_FALSE(IsConceptCategory("concept/" + std::string(65, 'a')));
}

}  // namespace
}  // namespace kiln
