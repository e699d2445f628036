#include "kiln/base/trace_context.h"

#include <gtest/gtest.h>

#include <string>

namespace kiln {
namespace {

constexpr char kSpecExample[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

bool IsLowerHex(const std::string& text) {
  return text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(TraceContextTest, ParsesTheSpecExample) {
  const std::optional<TraceContext> context = ParseTraceparent(kSpecExample);
  ASSERT_TRUE(context.has_value());
  EXPECT_EQ(context->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(context->span_id, "00f067aa0ba902b7");
  EXPECT_EQ(context->flags, 1);
  EXPECT_EQ(context->ToTraceparent(), kSpecExample);
}

TEST(TraceContextTest, KeepsTheFlagsByte) {
  const auto unsampled = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(unsampled.has_value());
  EXPECT_EQ(unsampled->flags, 0);
  const auto other = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-a3");
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->flags, 0xa3);
  EXPECT_EQ(other->ToTraceparent(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-a3");
}

TEST(TraceContextTest, RejectsMalformedVersion00) {
  const char* bad[] = {
      "",
      "00",
      // too short / too long for version 00
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-011",
      // uppercase hex anywhere
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",
      "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      // all-zero ids
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      // wrong delimiters or non-hex characters
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
      "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01",
      "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      // ids of the wrong lengths, total length still 55
      "00-4bf92f3577b34da6a3ce929d0e0e47360-0f067aa0ba902b7-01",
  };
  for (const char* header : bad) EXPECT_FALSE(ParseTraceparent(header).has_value()) << '"' << header << '"';
}

TEST(TraceContextTest, VersionFfIsInvalid) {
  EXPECT_FALSE(ParseTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").has_value());
}

TEST(TraceContextTest, FutureVersionsParseByTheirFirstFourFields) {
  const auto exact = ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(exact->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  const auto longer = ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds");
  ASSERT_TRUE(longer.has_value());
  EXPECT_EQ(longer->span_id, "00f067aa0ba902b7");
  EXPECT_EQ(longer->flags, 1);
  // What is forwarded is version 00, which is what this code speaks.
  EXPECT_EQ(longer->ToTraceparent(), kSpecExample);

  // After the flags of a future version comes '-' or nothing.
  EXPECT_FALSE(ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x").has_value());
  EXPECT_FALSE(ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0").has_value());
  // The rules of the first four fields still hold.
  EXPECT_FALSE(ParseTraceparent("cc-00000000000000000000000000000000-00f067aa0ba902b7-01-x").has_value());
  EXPECT_FALSE(ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01-x").has_value());
}

TEST(TraceContextTest, NewTraceIsValidAndSampled) {
  const TraceContext a = NewTrace();
  const TraceContext b = NewTrace();
  EXPECT_EQ(a.trace_id.size(), 32u);
  EXPECT_EQ(a.span_id.size(), 16u);
  EXPECT_TRUE(IsLowerHex(a.trace_id));
  EXPECT_TRUE(IsLowerHex(a.span_id));
  EXPECT_EQ(a.flags, 1);
  EXPECT_NE(a.trace_id, b.trace_id);
  const std::optional<TraceContext> reparsed = ParseTraceparent(a.ToTraceparent());
  ASSERT_TRUE(reparsed.has_value());
  EXPECT_EQ(reparsed->trace_id, a.trace_id);
  EXPECT_EQ(reparsed->span_id, a.span_id);
  EXPECT_EQ(reparsed->flags, a.flags);
}

TEST(TraceContextTest, ChildKeepsTheTraceAndFlagsWithANewSpan) {
  const TraceContext parent = *ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  const TraceContext child = ChildOf(parent);
  EXPECT_EQ(child.trace_id, parent.trace_id);
  EXPECT_EQ(child.flags, parent.flags);
  EXPECT_NE(child.span_id, parent.span_id);
  EXPECT_EQ(child.span_id.size(), 16u);
  EXPECT_TRUE(IsLowerHex(child.span_id));
  EXPECT_NE(ChildOf(parent).span_id, child.span_id);
}

}  // namespace
}  // namespace kiln
