// The error and JSON responses every route shares: FastAPI-style {"detail": …}
// bodies, Status → HTTP code, 429 with Retry-After, and JSON text that never
// throws on the invalid UTF-8 a client may send.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kiln/base/status.h"
#include "kiln/server/api_types.h"

namespace kiln {

// Client-supplied text (ids, prompts) may hold invalid UTF-8: replaced, never thrown.
std::string DumpJson(const nlohmann::json& j);

// {"detail": message} with the status.
ApiResponse DetailResponse(int status, const std::string& message);
// 429 with Retry-After (whole seconds, at least 1).
ApiResponse TooManyRequests(const std::string& message, double retry_after_s);
// InvalidArgument → 422, NotFound → 404, Unauthenticated → 401, PermissionDenied → 403,
// ResourceExhausted → 429, FailedPrecondition → 409, DeadlineExceeded → 410, Unavailable → 503, else 500.
ApiResponse FromStatus(const Status& s);

bool StartsWith(std::string_view s, std::string_view prefix);

}  // namespace kiln
