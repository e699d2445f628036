#include "kiln/base/json_fields.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(JsonFieldsTest, ReadsTypedFieldsAndKeepsDefaults) {
  auto object = JsonFields::ParseObject(R"({"n": 3, "x": 2.5, "b": true, "s": "hi", "l": [1, 2]})", "test");
  ASSERT_TRUE(object.ok());
  JsonFields f(*object, "test");
  int64_t n = 0, absent = 42;
  double x = 0;
  float xf = 0;
  bool b = false;
  std::string s;
  std::vector<int64_t> l;
  EXPECT_TRUE(f.Int("n", &n).ok());
  EXPECT_TRUE(f.Int("absent", &absent).ok());
  EXPECT_TRUE(f.Double("x", &x).ok());
  EXPECT_TRUE(f.Float("x", &xf).ok());
  EXPECT_TRUE(f.Bool("b", &b).ok());
  EXPECT_TRUE(f.String("s", &s).ok());
  EXPECT_TRUE(f.IntList("l", &l).ok());
  EXPECT_EQ(n, 3);
  EXPECT_EQ(absent, 42);
  EXPECT_EQ(x, 2.5);
  EXPECT_EQ(xf, 2.5f);
  EXPECT_TRUE(b);
  EXPECT_EQ(s, "hi");
  EXPECT_EQ(l, (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(f.RejectUnknown().ok());
}

TEST(JsonFieldsTest, WrongTypesAndUnknownFieldsNameTheField) {
  auto object = JsonFields::ParseObject(R"({"n": 3.0, "b": 1, "l": [1, "2"], "typo": 1})", "cfg");
  ASSERT_TRUE(object.ok());
  JsonFields f(*object, "cfg");
  int64_t n = 0;
  bool b = false;
  std::vector<int64_t> l;
  EXPECT_EQ(f.Int("n", &n).message(), "cfg: field 'n' must be an integer");
  EXPECT_EQ(f.Bool("b", &b).message(), "cfg: field 'b' must be true or false");
  EXPECT_EQ(f.IntList("l", &l).message(), "cfg: field 'l[1]' must be an integer");
  EXPECT_EQ(f.RejectUnknown().message(), "cfg: field 'typo' is not a known field");
}

TEST(JsonFieldsTest, ParseObjectRefusesNonObjects) {
  EXPECT_EQ(JsonFields::ParseObject("[1]", "cfg").status().message(), "cfg: must be a JSON object");
  EXPECT_EQ(JsonFields::ParseObject("{oops", "cfg").status().message(), "cfg: not valid JSON");
}

}  // namespace
}  // namespace kiln
