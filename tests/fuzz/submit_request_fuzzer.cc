// libFuzzer target: the API's request parsing and validation — the submit
// body (JSON → typed JobRequest or field errors), the query string and the
// traceparent header. Whatever the bytes, no crash, and a request either
// validates into values within the model's limits or names its bad fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kiln/base/trace_context.h"
#include "kiln/server/api_types.h"
#include "kiln/server/submit_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const kiln::ModelLimits limits;
  kiln::SubmitRequest r = kiln::ParseSubmitRequest(input, limits);
  if (r.errors.empty()) {
    const kiln::JobRequest& q = r.request;
    const bool sane = q.width >= limits.min_size && q.width <= limits.max_size && q.width % 16 == 0 &&
                      q.height >= limits.min_size && q.height <= limits.max_size && q.height % 16 == 0 &&
                      q.steps >= 1 && q.steps <= limits.max_steps && q.safety_tolerance >= 0 &&
                      q.safety_tolerance <= 6 && !q.output_format.empty();
    if (!sane) std::abort();
  } else {
    (void)kiln::ValidationErrorBody(r.errors);
  }
  (void)kiln::ParseQueryString(input);
  (void)kiln::ParseTraceparent(input);
  return 0;
}
