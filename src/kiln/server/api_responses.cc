#include "kiln/server/api_responses.h"

#include <algorithm>
#include <cmath>

namespace kiln {

std::string DumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ApiResponse DetailResponse(int status, const std::string& message) {
  return ApiResponse::Json(status, DumpJson(nlohmann::json{{"detail", message}}));
}

ApiResponse TooManyRequests(const std::string& message, double retry_after_s) {
  ApiResponse r = DetailResponse(429, message);
  r.headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, std::llround(std::ceil(retry_after_s)))));
  return r;
}

ApiResponse FromStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return DetailResponse(422, s.message());
    case StatusCode::kNotFound: return DetailResponse(404, s.message());
    case StatusCode::kUnauthenticated: return DetailResponse(401, s.message());
    case StatusCode::kPermissionDenied: return DetailResponse(403, s.message());
    case StatusCode::kResourceExhausted: return TooManyRequests(s.message(), 1);
    case StatusCode::kFailedPrecondition: return DetailResponse(409, s.message());
    case StatusCode::kDeadlineExceeded: return DetailResponse(410, s.message());
    case StatusCode::kUnavailable: return DetailResponse(503, s.message());
    default: return DetailResponse(500, s.message());
  }
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace kiln
