// HttpPost: one synchronous HTTP/1.1 POST (no TLS, no connection reuse) with a
// total deadline over resolve + connect + send + answer. Runs on the caller's
// thread on a private io_context, so any thread may call it, many at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kiln/base/status.h"

namespace kiln {

struct HttpPostRequest {
  std::string host;         // resolved: a name or an address text (IPv6 without brackets)
  uint16_t port = 80;
  std::string host_header;  // the Host header's value
  std::string target;       // path + query
  std::vector<std::pair<std::string, std::string>> headers;  // added after Host
  std::string body;         // sent as is
};

struct HttpPostResponse {
  int status = 0;
  std::string reason;  // "Internal Server Error"; only the status line and headers are read
};

// Called with each resolved address (text form) before any connection is
// made; a non-ok Status refuses the request and is returned as is.
using AddressCheck = std::function<Status(std::string_view address)>;

// Any HTTP answer, 2xx or not, is a response; no answer is an error:
// DeadlineExceeded past timeout, Unavailable for network failures,
// InvalidArgument for a header value holding CR, LF or NUL (it would let a
// value rewrite the request). Name resolution is bounded by the timeout only
// as far as the system resolver lets it be interrupted: a getaddrinfo call in
// progress runs to its own end.
StatusOr<HttpPostResponse> HttpPost(const HttpPostRequest& request, std::chrono::milliseconds timeout,
                                    const AddressCheck& check_address);

}  // namespace kiln
