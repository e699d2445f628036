#include "kiln/server/signed_url.h"

#include "kiln/base/crypto.h"

namespace kiln {

std::string UrlSigner::Signature(std::string_view job_id, std::string_view extension, std::string_view exp) const {
  std::string message;
  message.append(job_id).append("\n").append(extension).append("\n").append(exp);
  return HmacSha256Hex(key_, message);
}

std::string UrlSigner::SamplePath(std::string_view job_id, std::string_view extension, int64_t now_s) const {
  const std::string exp = std::to_string(now_s + ttl_seconds_);
  std::string path = "/v1/results/";
  path.append(job_id).append("/sample.").append(extension);
  path.append("?exp=").append(exp).append("&sig=").append(Signature(job_id, extension, exp));
  return path;
}

Status UrlSigner::Verify(std::string_view job_id, std::string_view extension, std::string_view exp,
                         std::string_view sig, int64_t now_s) const {
  if (exp.empty() || exp.size() > 18) return Status::InvalidArgument("exp: not a unix time");
  int64_t expiry = 0;
  for (char c : exp) {
    if (c < '0' || c > '9') return Status::InvalidArgument("exp: not a unix time");
    expiry = expiry * 10 + (c - '0');
  }
  if (!ConstantTimeEquals(Signature(job_id, extension, exp), sig)) {
    return Status(StatusCode::kPermissionDenied, "sig: the signature does not match");
  }
  if (expiry < now_s) return Status::DeadlineExceeded("the URL expired");
  return Status::Ok();
}

}  // namespace kiln
