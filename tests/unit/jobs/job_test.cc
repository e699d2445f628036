#include "kiln/jobs/job.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

constexpr JobState kAll[] = {JobState::kQueued,           JobState::kRunning, JobState::kReady,
                             JobState::kRequestModerated, JobState::kContentModerated,
                             JobState::kError,            JobState::kCancelled};

TEST(JobStateTest, NamesRoundTrip) {
  for (JobState state : kAll) {
    const auto parsed = ParseJobState(JobStateName(state));
    ASSERT_TRUE(parsed.has_value()) << JobStateName(state);
    EXPECT_EQ(*parsed, state);
  }
  EXPECT_EQ(JobStateName(JobState::kRequestModerated), "request_moderated");
  EXPECT_FALSE(ParseJobState("Ready").has_value());
  EXPECT_FALSE(ParseJobState("").has_value());
}

TEST(JobStateTest, OnlyQueuedAndRunningAreNotTerminal) {
  EXPECT_FALSE(IsTerminal(JobState::kQueued));
  EXPECT_FALSE(IsTerminal(JobState::kRunning));
  EXPECT_TRUE(IsTerminal(JobState::kReady));
  EXPECT_TRUE(IsTerminal(JobState::kRequestModerated));
  EXPECT_TRUE(IsTerminal(JobState::kContentModerated));
  EXPECT_TRUE(IsTerminal(JobState::kError));
  EXPECT_TRUE(IsTerminal(JobState::kCancelled));
}

TEST(JobStateTest, BflStatus) {
  EXPECT_EQ(BflStatus(JobState::kQueued), "Pending");
  EXPECT_EQ(BflStatus(JobState::kRunning), "Pending");
  EXPECT_EQ(BflStatus(JobState::kReady), "Ready");
  EXPECT_EQ(BflStatus(JobState::kRequestModerated), "Request Moderated");
  EXPECT_EQ(BflStatus(JobState::kContentModerated), "Content Moderated");
  EXPECT_EQ(BflStatus(JobState::kError), "Error");
  EXPECT_EQ(BflStatus(JobState::kCancelled), "Error");
}

}  // namespace
}  // namespace kiln
