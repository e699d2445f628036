#include "kiln/pipeline/flow_schedule.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(FlowScheduleTest, MatchesTheOfficialShiftedScheduleBitForBit) {
  // flux.sampling.get_schedule(4, 64, shift=True), from the flux_dev_tiny_sampling golden README.
  const std::vector<float> expected = {1.0f, 0.8272286653518677f, 0.6147918701171875f, 0.34725838899612427f, 0.0f};
  EXPECT_EQ(FlowSchedule(4, 64), expected);
}

TEST(FlowScheduleTest, UnshiftedIsLinspace) {
  const std::vector<float> t = FlowSchedule(4, 4096, FlowScheduleOptions{.shift = false});
  EXPECT_EQ(t, (std::vector<float>{1.0f, 0.75f, 0.5f, 0.25f, 0.0f}));
}

TEST(FlowScheduleTest, StartsAtOneEndsAtZeroAndDecreases) {
  for (int steps : {1, 2, 7, 28, 50}) {
    for (int64_t tokens : {16, 256, 1024, 4096}) {
      const std::vector<float> t = FlowSchedule(steps, tokens);
      ASSERT_EQ(t.size(), static_cast<size_t>(steps + 1));
      EXPECT_EQ(t.front(), 1.0f);
      EXPECT_EQ(t.back(), 0.0f);
      for (size_t i = 1; i < t.size(); ++i) EXPECT_LT(t[i], t[i - 1]) << steps << " " << tokens;
    }
  }
}

TEST(FlowScheduleTest, MoreTokensShiftTimesUp) {
  // A larger image spends more of its steps at high noise (mu grows with tokens).
  EXPECT_GT(FlowSchedule(10, 4096)[5], FlowSchedule(10, 256)[5]);
}

}  // namespace
}  // namespace kiln
