#include "kiln/jobs/http_post.h"

#include <exception>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace kiln {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// CR or LF in a header would end it early and let the rest be read as more
// headers or a second request; NUL is refused by most servers anyway.
bool IsSafeHeaderText(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool IsSafeTarget(std::string_view target) {
  if (target.empty()) return false;
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

// One request, as a chain of callbacks on a private io_context that Run()
// drives to the end on the calling thread. A single timer bounds the whole
// chain: when it fires it cancels whatever step is pending, and that step's
// callback turns the abort into DeadlineExceeded. Every callback runs on the
// calling thread, so no locking is needed.
class PostOperation {
 public:
  PostOperation(const HttpPostRequest& request, std::chrono::milliseconds timeout, const AddressCheck& check_address)
      : request_(request), timeout_(timeout), check_address_(check_address) {}

  StatusOr<HttpPostResponse> Run() {
    KILN_RETURN_IF_ERROR(BuildRequest());
    deadline_.expires_after(timeout_);
    deadline_.async_wait([this](const boost::system::error_code& ec) { OnDeadline(ec); });
    resolver_.async_resolve(request_.host, std::to_string(request_.port), tcp::resolver::numeric_service,
                            [this](const boost::system::error_code& ec, const tcp::resolver::results_type& results) {
                              OnResolve(ec, results);
                            });
    ioc_.run();
    if (!result_) return Status::Internal("http post: finished without a result");
    return std::move(*result_);
  }

 private:
  Status BuildRequest() {
    if (!IsSafeTarget(request_.target)) return Status::InvalidArgument("http post: invalid request target");
    http_request_.method(http::verb::post);
    http_request_.target(request_.target);
    http_request_.version(11);
    if (!IsSafeHeaderText(request_.host_header)) return Status::InvalidArgument("http post: invalid Host header");
    http_request_.set(http::field::host, request_.host_header);
    for (const auto& [name, value] : request_.headers) {
      if (name.empty() || name.find_first_of(": \t") != std::string::npos || !IsSafeHeaderText(name) ||
          !IsSafeHeaderText(value)) {
        return Status::InvalidArgument("http post: invalid header '" + name + "'");
      }
      http_request_.set(name, value);
    }
    // One request per connection: tell the server not to wait for another.
    http_request_.set(http::field::connection, "close");
    http_request_.body() = request_.body;
    http_request_.prepare_payload();
    return Status::Ok();
  }

  std::string Where() const { return request_.host + ":" + std::to_string(request_.port); }

  // Reports a failed step: a timeout when the deadline caused it.
  void Fail(std::string_view step, const boost::system::error_code& ec) {
    if (timed_out_) {
      Finish(Status::DeadlineExceeded(Where() + ": timed out after " + std::to_string(timeout_.count()) +
                                      " ms while " + std::string(step)));
    } else {
      Finish(Status::Unavailable(Where() + ": " + std::string(step) + ": " + ec.message()));
    }
  }

  void Finish(StatusOr<HttpPostResponse> result) {
    if (result_) return;
    result_ = std::move(result);
    deadline_.cancel();
    resolver_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  void OnDeadline(const boost::system::error_code& ec) {
    if (ec || result_) return;  // cancelled: the request finished first
    timed_out_ = true;
    resolver_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);  // aborts a pending connect, write or read
  }

  void OnResolve(const boost::system::error_code& ec, const tcp::resolver::results_type& results) {
    if (ec || timed_out_) return Fail("resolving the host", ec);
    if (results.empty()) return Finish(Status::Unavailable(Where() + ": resolving the host: no addresses"));
    // Every address is checked before connecting to any, and only these
    // checked addresses are connected to: a name cannot resolve again to
    // something else between check and use.
    for (const auto& entry : results) {
      Status allowed = check_address_(entry.endpoint().address().to_string());
      if (!allowed.ok()) return Finish(std::move(allowed));
    }
    asio::async_connect(socket_, results, [this](const boost::system::error_code& ec, const tcp::endpoint&) {
      OnConnect(ec);
    });
  }

  void OnConnect(const boost::system::error_code& ec) {
    if (ec || timed_out_) return Fail("connecting", ec);
    http::async_write(socket_, http_request_,
                      [this](const boost::system::error_code& ec, size_t) { OnWrite(ec); });
  }

  void OnWrite(const boost::system::error_code& ec) {
    if (ec || timed_out_) return Fail("sending the request", ec);
    // Only the status line and headers matter; the body (of any size) is never read.
    http::async_read_header(socket_, buffer_, parser_,
                            [this](const boost::system::error_code& ec, size_t) { OnRead(ec); });
  }

  void OnRead(const boost::system::error_code& ec) {
    if (ec || timed_out_) return Fail("waiting for the answer", ec);
    HttpPostResponse response;
    response.status = static_cast<int>(parser_.get().result_int());
    response.reason = std::string(parser_.get().reason());
    Finish(std::move(response));
  }

  const HttpPostRequest& request_;
  const std::chrono::milliseconds timeout_;
  const AddressCheck& check_address_;

  asio::io_context ioc_{1};
  tcp::resolver resolver_{ioc_};
  tcp::socket socket_{ioc_};
  asio::steady_timer deadline_{ioc_};
  http::request<http::string_body> http_request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::empty_body> parser_;
  bool timed_out_ = false;
  std::optional<StatusOr<HttpPostResponse>> result_;
};

}  // namespace

StatusOr<HttpPostResponse> HttpPost(const HttpPostRequest& request, std::chrono::milliseconds timeout,
                                    const AddressCheck& check_address) {
  // Asio and Beast report network errors through error_codes; what can still
  // throw is resource exhaustion (no memory, no file descriptors for epoll).
  try {
    PostOperation operation(request, timeout, check_address);
    return operation.Run();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("http post: ") + e.what());
  }
}

}  // namespace kiln
