// Signed, expiring result URLs: result.sample and the webhook's sample are
//   <public base>/v1/results/<job id>/sample.<ext>?exp=<unix seconds>&sig=<hex>
// where sig = HMAC-SHA256(key, "<job id>\n<ext>\n<exp>") in hex. Anyone who
// holds the URL may fetch the image until exp; nobody can make one without
// the key, change the job, the format or the expiry. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kiln/base/status.h"

namespace kiln {

class UrlSigner {
 public:
  // REQUIRES: key is non-empty (32 random bytes in practice).
  UrlSigner(std::string key, int64_t ttl_seconds) : key_(std::move(key)), ttl_seconds_(ttl_seconds) {}

  // The path and query (no host), valid for ttl_seconds from now_s.
  std::string SamplePath(std::string_view job_id, std::string_view extension, int64_t now_s) const;
  // PermissionDenied for a bad signature, DeadlineExceeded once expired,
  // InvalidArgument for a malformed exp.
  Status Verify(std::string_view job_id, std::string_view extension, std::string_view exp,
                std::string_view sig, int64_t now_s) const;
  int64_t ttl_seconds() const { return ttl_seconds_; }

 private:
  std::string Signature(std::string_view job_id, std::string_view extension, std::string_view exp) const;
  std::string key_;
  int64_t ttl_seconds_;
};

}  // namespace kiln
