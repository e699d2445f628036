#include "kiln/server/submit_request.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "kiln/jobs/webhook_sender.h"
#include "kiln/pipeline/image_codec.h"

namespace kiln {
namespace {

using nlohmann::json;

class BodyReader {
 public:
  BodyReader(const json& body, std::vector<FieldError>* errors) : body_(body), errors_(errors) {}

  // The field, or nullptr when absent or null.
  const json* Find(const char* name) const {
    auto it = body_.find(name);
    if (it == body_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  void Error(const char* name, std::string msg, std::string type) {
    errors_->push_back(FieldError{{"body", name}, std::move(msg), std::move(type)});
  }

  // Integers, also as integral floats; range-checked.
  std::optional<int64_t> Int(const char* name, int64_t min, int64_t max) {
    const json* v = Find(name);
    if (v == nullptr) return std::nullopt;
    int64_t value = 0;
    if (v->is_number_integer()) {
      if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(max)) {
        Error(name, "Input should be less than or equal to " + std::to_string(max), "less_than_equal");
        return std::nullopt;
      }
      value = v->get<int64_t>();
    } else if (v->is_number_float() && std::isfinite(v->get<double>()) &&
               std::floor(v->get<double>()) == v->get<double>() && std::fabs(v->get<double>()) < 9.0e15) {
      value = static_cast<int64_t>(v->get<double>());
    } else {
      Error(name, "Input should be a valid integer", "int_type");
      return std::nullopt;
    }
    if (value < min) {
      Error(name, "Input should be greater than or equal to " + std::to_string(min), "greater_than_equal");
      return std::nullopt;
    }
    if (value > max) {
      Error(name, "Input should be less than or equal to " + std::to_string(max), "less_than_equal");
      return std::nullopt;
    }
    return value;
  }

  std::optional<double> Number(const char* name, double min, double max) {
    const json* v = Find(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number() || !std::isfinite(v->get<double>())) {
      Error(name, "Input should be a valid number", "float_type");
      return std::nullopt;
    }
    const double value = v->get<double>();
    if (value < min) {
      Error(name, "Input should be greater than or equal to " + Format(min), "greater_than_equal");
      return std::nullopt;
    }
    if (value > max) {
      Error(name, "Input should be less than or equal to " + Format(max), "less_than_equal");
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::string> String(const char* name, size_t max_bytes) {
    const json* v = Find(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) {
      Error(name, "Input should be a valid string", "string_type");
      return std::nullopt;
    }
    std::string s = v->get<std::string>();
    if (s.size() > max_bytes) {
      Error(name, "String should have at most " + std::to_string(max_bytes) + " bytes", "string_too_long");
      return std::nullopt;
    }
    return s;
  }

  std::optional<bool> Bool(const char* name) {
    const json* v = Find(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_boolean()) {
      Error(name, "Input should be a valid boolean", "bool_type");
      return std::nullopt;
    }
    return v->get<bool>();
  }

 private:
  static std::string Format(double v) {
    json j = v;
    return j.dump();
  }

  const json& body_;
  std::vector<FieldError>* errors_;
};

// "16:9" → the size of the model's default pixel area with that shape,
// rounded to the size multiple and kept within the model's range.
bool SizeFromAspectRatio(const std::string& ratio, const ModelLimits& limits, int* width, int* height) {
  const size_t colon = ratio.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= ratio.size()) return false;
  int a = 0, b = 0;
  for (size_t i = 0; i < ratio.size(); ++i) {
    if (i == colon) continue;
    if (ratio[i] < '0' || ratio[i] > '9' || (i < colon ? a : b) > 1000) return false;
    (i < colon ? a : b) = (i < colon ? a : b) * 10 + (ratio[i] - '0');
  }
  if (a <= 0 || b <= 0 || a > 4 * b || b > 4 * a) return false;
  const double area = static_cast<double>(limits.default_width) * limits.default_height;
  const double w = std::sqrt(area * a / b), h = w * b / a;
  auto snap = [&](double v) {
    int s = static_cast<int>(std::lround(v / limits.size_multiple)) * limits.size_multiple;
    if (s < limits.min_size) s = limits.min_size;
    if (s > limits.max_size) s = limits.max_size;
    return s;
  };
  *width = snap(w);
  *height = snap(h);
  return true;
}

}  // namespace

SubmitRequest ParseSubmitRequest(std::string_view body_text, const ModelLimits& limits) {
  SubmitRequest out;
  JobRequest& r = out.request;
  json body = json::parse(body_text.begin(), body_text.end(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    out.errors.push_back(FieldError{{"body"}, "JSON decode error: the body is not valid JSON", "json_invalid"});
    return out;
  }
  if (!body.is_object()) {
    out.errors.push_back(FieldError{{"body"}, "Input should be a valid dictionary (a JSON object)", "dict_type"});
    return out;
  }
  BodyReader in(body, &out.errors);

  if (auto prompt = in.String("prompt", limits.max_prompt_bytes)) {
    if (prompt->empty()) in.Error("prompt", "String should have at least 1 character", "string_too_short");
    r.prompt = std::move(*prompt);
  } else if (in.Find("prompt") == nullptr) {
    in.Error("prompt", "Field required", "missing");
  }

  r.width = limits.default_width;
  r.height = limits.default_height;
  const bool has_size = in.Find("width") != nullptr || in.Find("height") != nullptr;
  for (const char* name : {"width", "height"}) {
    if (auto v = in.Int(name, limits.min_size, limits.max_size)) {
      if (*v % limits.size_multiple != 0) {
        in.Error(name, "Input should be a multiple of " + std::to_string(limits.size_multiple), "multiple_of");
      } else {
        (name[0] == 'w' ? r.width : r.height) = static_cast<int>(*v);
      }
    }
  }
  if (auto ratio = in.String("aspect_ratio", 16)) {
    if (has_size) {
      in.Error("aspect_ratio", "Give width and height or aspect_ratio, not both", "value_error");
    } else if (!SizeFromAspectRatio(*ratio, limits, &r.width, &r.height)) {
      in.Error("aspect_ratio", "Value error, aspect_ratio must look like '16:9', between 1:4 and 4:1",
               "value_error");
    }
  }

  r.steps = static_cast<int>(in.Int("steps", 1, limits.max_steps).value_or(limits.default_steps));
  r.guidance = static_cast<float>(in.Number("guidance", 0.0, 100.0).value_or(limits.default_guidance));
  if (auto seed = in.Int("seed", 0, std::numeric_limits<int64_t>::max())) out.seed = static_cast<uint64_t>(*seed);
  r.safety_tolerance = static_cast<int>(in.Int("safety_tolerance", 0, 6).value_or(2));

  if (auto format = in.String("output_format", 16)) {
    std::optional<ImageFormat> parsed = ParseImageFormat(*format);
    if (!parsed || *format == "jpg") {
      in.Error("output_format", "Input should be 'jpeg', 'png' or 'webp'", "enum");
    } else {
      r.output_format = std::string(ImageFormatName(*parsed));
    }
  }

  if (auto url = in.String("webhook_url", 2083)) {
    Status s = ValidateWebhookUrl(*url);
    if (!s.ok()) {
      in.Error("webhook_url", s.message(), "url_parsing");
    } else {
      r.webhook_url = std::move(*url);
    }
  }
  if (auto secret = in.String("webhook_secret", 1024)) r.webhook_secret = std::move(*secret);
  out.prompt_upsampling = in.Bool("prompt_upsampling").value_or(false);
  r.priority = static_cast<int>(in.Int("priority", 0, 9).value_or(0));
  out.deadline_seconds = in.Number("deadline_seconds", 0.001, 86400.0).value_or(0.0);
  return out;
}

std::string ValidationErrorBody(const std::vector<FieldError>& errors) {
  json detail = json::array();
  for (const FieldError& e : errors) {
    detail.push_back({{"loc", e.loc}, {"msg", e.msg}, {"type", e.type}});
  }
  return json{{"detail", detail}}.dump();
}

}  // namespace kiln
