// The body of POST /v1/{model}, validated once at the boundary into a typed
// JobRequest, with every problem reported the way BFL's (FastAPI) API does:
//   422 {"detail": [{"loc": ["body", "width"], "msg": "...", "type": "..."}]}
//
// As BFL's clients expect: unknown fields are ignored, null means "not
// given", integers may arrive as integral floats (1024.0).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/jobs/job.h"

namespace kiln {

// What one served model accepts (from the config and its manifest).
struct ModelLimits {
  int min_size = 64;
  int max_size = 256;
  int size_multiple = 16;
  int default_width = 128;
  int default_height = 128;
  int max_steps = 50;
  int default_steps = 20;
  float default_guidance = 0.0f;
  int max_prompt_bytes = 10000;
};

struct FieldError {
  std::vector<std::string> loc;  // {"body", "width"}, {"header", "x-key"}, {"query", "id"}
  std::string msg;
  std::string type;  // "missing", "int_type", "string_type", "greater_than_equal", "value_error", ...
};

struct SubmitRequest {
  JobRequest request;            // model is left empty (the route names it)
  std::optional<uint64_t> seed;  // absent: the server draws one
  double deadline_seconds = 0;   // 0: none
  bool prompt_upsampling = false;
  std::vector<FieldError> errors;  // empty when valid
};

SubmitRequest ParseSubmitRequest(std::string_view body, const ModelLimits& limits);

// {"detail": [...]} for a 422 answer.
std::string ValidationErrorBody(const std::vector<FieldError>& errors);

}  // namespace kiln
