#include "kiln/base/flags.h"

#include <gtest/gtest.h>

#include <vector>

namespace kiln {
namespace {

const std::vector<FlagSpec> kSpecs = {{"steps", false, ""}, {"seed", false, ""}, {"json", true, ""},
                                      {"guidance", false, ""}};

StatusOr<Flags> Parse(std::vector<const char*> args) {
  return Flags::Parse(static_cast<int>(args.size()), const_cast<char**>(args.data()), kSpecs);
}

TEST(FlagsTest, ParsesBothSpellingsBooleansAndPositionals) {
  auto f = Parse({"dir", "--steps", "4", "--seed=18446744073709551615", "--json"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->positional(), std::vector<std::string>{"dir"});
  EXPECT_EQ(*f->GetInt("steps", 0, 1, 100), 4);
  EXPECT_EQ(*f->GetUint64("seed", 0), 18446744073709551615ull);
  EXPECT_TRUE(f->Has("json"));
  EXPECT_EQ(*f->GetDouble("guidance", 3.5), 3.5);
}

TEST(FlagsTest, ErrorsNameTheFlag) {
  auto unknown = Parse({"--stpes", "4"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("--stpes"), std::string::npos);

  auto missing = Parse({"--steps"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("--steps"), std::string::npos);

  auto f = Parse({"--steps", "4x", "--seed", "-1", "--guidance", "nan"});
  ASSERT_TRUE(f.ok());
  EXPECT_NE(f->GetInt("steps", 0, 1, 100).status().message().find("--steps"), std::string::npos);
  EXPECT_NE(f->GetUint64("seed", 0).status().message().find("--seed"), std::string::npos);
  EXPECT_NE(f->GetDouble("guidance", 0).status().message().find("--guidance"), std::string::npos);

  auto range = Parse({"--steps", "1000"});
  ASSERT_TRUE(range.ok());
  EXPECT_FALSE(range->GetInt("steps", 0, 1, 100).ok());
  EXPECT_FALSE(range->GetString("seed").ok());
}

}  // namespace
}  // namespace kiln
