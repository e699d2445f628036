// The images a client names in a moderation or admin request, in OpenAI's
// forms and Kiln's: a data URL or bare base64 string, {"type": "image_url",
// "image_url": {"url": …}}, or {"type": "kiln_result", "id": "<task id>"}
// (a ready task's stored image). Resolved to the image file's bytes.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "kiln/base/status.h"
#include "kiln/jobs/blob_store.h"
#include "kiln/jobs/job_service.h"

namespace kiln {

inline constexpr size_t kMaxImageInputBytes = 20u << 20;

// "data:image/png;base64,AAAA" or bare base64 → bytes; false when neither.
bool DecodeImageDataUrl(const std::string& url, std::string* bytes);

// InvalidArgument with a message fit for a 422 (the caller names the field).
// tenant: the caller's, whose ready tasks it may name; "" lets it name any (admin).
StatusOr<std::string> ResolveImageInput(const nlohmann::json& item, const std::string& tenant, JobService& jobs,
                                        BlobStore& blobs);

}  // namespace kiln
