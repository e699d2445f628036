#include "kiln/worker/output_moderation.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kiln {
namespace {

// Each check decides on its own image: signals of earlier images must not carry over
// (they once did, and an old high score held later harmless images).
TEST(OutputModerationTest, EachCheckSeesOnlyItsOwnImage) {
  ModerationPolicy policy = ModerationPolicy::Default();
  policy.image_categories["sexual"] = {0.0, 2.0, 2.0};  // flag every image: one reason per check
  TenantPolicies policies(policy, "{}");
  MetricsRegistry registry;
  ModerationMetrics metrics(registry);
  StatusOr<std::unique_ptr<OutputModeration>> moderation = OutputModeration::Load(
      {&policies, &metrics, std::string(KILN_SOURCE_DIR) + "/models/nsfw-mobilenet-v2"});
  ASSERT_TRUE(moderation.ok()) << moderation.status().ToString();
  ThreadPool pool(1);
  Job job;
  job.id = "job-1";
  job.tenant = "acme";
  std::vector<uint8_t> rgb(32 * 32 * 3, 90);
  for (int round = 0; round < 3; ++round) {
    StatusOr<OutputVerdict> v = (*moderation)->Check(pool, job, rgb.data(), 32, 32);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_TRUE(v->checked);
    ASSERT_EQ(v->decision.reasons.size(), 1u) << "round " << round;
    EXPECT_EQ(v->decision.action, ModerationAction::kFlag);
    EXPECT_EQ(v->state, JobState::kReady);
    EXPECT_FALSE(v->quarantine);
  }
  // Review holds the image for a reviewer; block does not keep it.
  policy.image_categories["sexual"] = {0.0, 0.0, 2.0};
  policies.SetPolicy("acme", policy, "{}");
  StatusOr<OutputVerdict> held = (*moderation)->Check(pool, job, rgb.data(), 32, 32);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->state, JobState::kContentModerated);
  EXPECT_TRUE(held->quarantine);
  policy.image_categories["sexual"] = {0.0, 0.0, 0.0};
  policies.SetPolicy("acme", policy, "{}");
  StatusOr<OutputVerdict> blocked = (*moderation)->Check(pool, job, rgb.data(), 32, 32);
  ASSERT_TRUE(blocked.ok());
  EXPECT_EQ(blocked->state, JobState::kContentModerated);
  EXPECT_FALSE(blocked->quarantine);
  EXPECT_NE(blocked->details_json.find("\"Moderation Reasons\":[\"sexual\"]"), std::string::npos)
      << blocked->details_json;
  // A policy with output checks off leaves the image alone.
  policy.check_output_image = false;
  policies.SetPolicy("acme", policy, "{}");
  StatusOr<OutputVerdict> off = (*moderation)->Check(pool, job, rgb.data(), 32, 32);
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->checked);
  EXPECT_EQ(off->state, JobState::kReady);
}

}  // namespace
}  // namespace kiln
