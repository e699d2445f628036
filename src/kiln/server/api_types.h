// The API's view of HTTP: plain request and response values, so handlers,
// validation and their tests (and the fuzzer) never include Boost.Beast.
// http_server.cc is the only place that translates to and from Beast.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kiln {

struct ApiRequest {
  std::string method;  // "GET", "POST", "DELETE", ...
  std::string path;    // without the query: "/v1/get_result"
  std::unordered_map<std::string, std::string> query;    // decoded; the last value of a repeated key
  std::unordered_map<std::string, std::string> headers;  // names lowercased
  std::string body;
  std::string request_id;  // assigned by the server, echoed as x-request-id
  std::string remote_address;

  // The header's value, or "" (name in lowercase).
  std::string_view Header(std::string_view lowercase_name) const;
};

// A server-sent event stream: the server calls open(emit) once the response
// headers are out; emit(chunk, last) may be called from any thread, and
// open returns a function the server calls when the client goes away.
using EmitFn = std::function<void(std::string chunk, bool last)>;
using StreamOpenFn = std::function<std::function<void()>(EmitFn emit)>;

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  StreamOpenFn stream;  // set: body is ignored and events follow the headers

  static ApiResponse Json(int status, std::string body);
};

// Handlers answer through a Responder, exactly once, from any thread.
using Responder = std::function<void(ApiResponse)>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual void Handle(ApiRequest request, Responder respond) = 0;
};

// Splits "a=1&b=%20x" into decoded pairs ('+' is a space); malformed
// percent escapes are kept literally.
std::unordered_map<std::string, std::string> ParseQueryString(std::string_view query);
std::string PercentDecode(std::string_view text);

}  // namespace kiln
