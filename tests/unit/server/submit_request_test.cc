#include "kiln/server/submit_request.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kiln {
namespace {

ModelLimits Limits() { return ModelLimits{}; }

// The "loc" of every error, as "body.width" strings.
std::vector<std::string> Locs(const SubmitRequest& r) {
  std::vector<std::string> out;
  for (const FieldError& e : r.errors) {
    std::string loc;
    for (const std::string& part : e.loc) loc += (loc.empty() ? "" : ".") + part;
    out.push_back(loc);
  }
  return out;
}

TEST(SubmitRequestTest, DefaultsFromTheModel) {
  SubmitRequest r = ParseSubmitRequest(R"({"prompt": "a red circle"})", Limits());
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.request.prompt, "a red circle");
  EXPECT_EQ(r.request.width, 128);
  EXPECT_EQ(r.request.height, 128);
  EXPECT_EQ(r.request.steps, 20);
  EXPECT_EQ(r.request.safety_tolerance, 2);
  EXPECT_EQ(r.request.output_format, "jpeg");
  EXPECT_FALSE(r.seed.has_value());
  EXPECT_EQ(r.deadline_seconds, 0);
}

TEST(SubmitRequestTest, EveryFieldRead) {
  SubmitRequest r = ParseSubmitRequest(
      R"({"prompt": "p", "width": 64, "height": 256, "steps": 4, "guidance": 3.5, "seed": 42,
          "safety_tolerance": 6, "output_format": "webp", "webhook_url": "http://example.com/hook",
          "webhook_secret": "s", "prompt_upsampling": true, "priority": 3, "deadline_seconds": 1.5})",
      Limits());
  ASSERT_TRUE(r.errors.empty()) << ValidationErrorBody(r.errors);
  EXPECT_EQ(r.request.width, 64);
  EXPECT_EQ(r.request.height, 256);
  EXPECT_EQ(r.request.steps, 4);
  EXPECT_FLOAT_EQ(r.request.guidance, 3.5f);
  EXPECT_EQ(*r.seed, 42u);
  EXPECT_EQ(r.request.safety_tolerance, 6);
  EXPECT_EQ(r.request.output_format, "webp");
  EXPECT_EQ(r.request.webhook_url, "http://example.com/hook");
  EXPECT_EQ(r.request.webhook_secret, "s");
  EXPECT_TRUE(r.prompt_upsampling);
  EXPECT_EQ(r.request.priority, 3);
  EXPECT_DOUBLE_EQ(r.deadline_seconds, 1.5);
}

TEST(SubmitRequestTest, NullMeansAbsentAndUnknownFieldsAreIgnored) {
  SubmitRequest r = ParseSubmitRequest(
      R"({"prompt": "p", "seed": null, "webhook_url": null, "width": null, "raw": true, "image_prompt": "x"})",
      Limits());
  ASSERT_TRUE(r.errors.empty()) << ValidationErrorBody(r.errors);
  EXPECT_FALSE(r.seed.has_value());
  EXPECT_EQ(r.request.width, 128);
}

TEST(SubmitRequestTest, IntegralFloatsAreIntegers) {
  SubmitRequest r = ParseSubmitRequest(R"({"prompt": "p", "width": 96.0, "steps": 8.0})", Limits());
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.request.width, 96);
  EXPECT_EQ(r.request.steps, 8);
}

TEST(SubmitRequestTest, EachBadFieldIsNamed) {
  struct Case {
    const char* body;
    const char* loc;
    const char* type;
  } cases[] = {
      {R"({})", "body.prompt", "missing"},
      {R"({"prompt": 5})", "body.prompt", "string_type"},
      {R"({"prompt": ""})", "body.prompt", "string_too_short"},
      {R"({"prompt": "p", "width": 100})", "body.width", "multiple_of"},
      {R"({"prompt": "p", "width": 32})", "body.width", "greater_than_equal"},
      {R"({"prompt": "p", "height": 4096})", "body.height", "less_than_equal"},
      {R"({"prompt": "p", "width": 64.5})", "body.width", "int_type"},
      {R"({"prompt": "p", "steps": 0})", "body.steps", "greater_than_equal"},
      {R"({"prompt": "p", "steps": "4"})", "body.steps", "int_type"},
      {R"({"prompt": "p", "safety_tolerance": 7})", "body.safety_tolerance", "less_than_equal"},
      {R"({"prompt": "p", "seed": -1})", "body.seed", "greater_than_equal"},
      {R"({"prompt": "p", "seed": 18446744073709551615})", "body.seed", "less_than_equal"},
      {R"({"prompt": "p", "output_format": "gif"})", "body.output_format", "enum"},
      {R"({"prompt": "p", "webhook_url": "ftp://x/y"})", "body.webhook_url", "url_parsing"},
      {R"({"prompt": "p", "guidance": "high"})", "body.guidance", "float_type"},
      {R"({"prompt": "p", "priority": 10})", "body.priority", "less_than_equal"},
      {R"({"prompt": "p", "prompt_upsampling": "yes"})", "body.prompt_upsampling", "bool_type"},
      {R"({"prompt": "p", "aspect_ratio": "wide"})", "body.aspect_ratio", "value_error"},
      {R"({"prompt": "p", "aspect_ratio": "1:1", "width": 64})", "body.aspect_ratio", "value_error"},
      {R"({"prompt": "p", "deadline_seconds": 0})", "body.deadline_seconds", "greater_than_equal"},
      {R"(not json)", "body", "json_invalid"},
      {R"([1, 2])", "body", "dict_type"},
  };
  for (const Case& c : cases) {
    SubmitRequest r = ParseSubmitRequest(c.body, Limits());
    ASSERT_EQ(r.errors.size(), 1u) << c.body << " → " << ValidationErrorBody(r.errors);
    EXPECT_EQ(Locs(r)[0], c.loc) << c.body;
    EXPECT_EQ(r.errors[0].type, c.type) << c.body;
    EXPECT_FALSE(r.errors[0].msg.empty());
  }
}

TEST(SubmitRequestTest, AllErrorsAreReportedTogether) {
  SubmitRequest r = ParseSubmitRequest(R"({"width": 7, "steps": 0, "output_format": "bmp"})", Limits());
  EXPECT_EQ(Locs(r), (std::vector<std::string>{"body.prompt", "body.width", "body.steps", "body.output_format"}));
}

TEST(SubmitRequestTest, AspectRatioKeepsTheDefaultArea) {
  SubmitRequest r = ParseSubmitRequest(R"({"prompt": "p", "aspect_ratio": "16:9"})", Limits());
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.request.width % 16, 0);
  EXPECT_EQ(r.request.height % 16, 0);
  EXPECT_GT(r.request.width, r.request.height);
  EXPECT_NEAR(r.request.width * r.request.height, 128 * 128, 128 * 128 * 0.15);
}

TEST(SubmitRequestTest, ValidationBodyHasFastApiShape) {
  SubmitRequest r = ParseSubmitRequest(R"({"prompt": "p", "width": 7})", Limits());
  nlohmann::json body = nlohmann::json::parse(ValidationErrorBody(r.errors));
  ASSERT_TRUE(body["detail"].is_array());
  EXPECT_EQ(body["detail"][0]["loc"], nlohmann::json::array({"body", "width"}));
  EXPECT_TRUE(body["detail"][0]["msg"].is_string());
  EXPECT_TRUE(body["detail"][0]["type"].is_string());
}

}  // namespace
}  // namespace kiln
