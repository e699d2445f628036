// The only translation unit that includes Boost.Beast: it turns Beast's
// messages into ApiRequest/ApiResponse and back.
#include "kiln/server/http_server.h"

#include <atomic>
#include <deque>
#include <thread>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "kiln/base/logging.h"

namespace kiln {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Process-unique request ids: a random-enough prefix per process and a counter
// (no syscall per request).
std::string NextRequestId() {
  static const uint64_t prefix =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) * 2654435761u;
  static std::atomic<uint64_t> counter{0};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%llx", static_cast<unsigned>(prefix >> 20),
                static_cast<unsigned long long>(counter.fetch_add(1) + 1));
  return buf;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpHandler& handler, const HttpServerOptions& options)
      : stream_(std::move(socket)), handler_(handler), options_(options) {}

  void Run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(options_.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return SendError(413, "request body too large (limit " + std::to_string(options_.max_body_bytes) + " bytes)");
    }
    if (ec) return SendError(400, "malformed HTTP request: " + ec.message());

    http::request<http::string_body> msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    ApiRequest req;
    req.method = std::string(msg.method_string().data(), msg.method_string().size());
    const std::string_view target(msg.target().data(), msg.target().size());
    const size_t q = target.find('?');
    req.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) req.query = ParseQueryString(target.substr(q + 1));
    for (const auto& field : msg) {
      req.headers[Lowercase(std::string_view(field.name_string().data(), field.name_string().size()))] =
          std::string(field.value().data(), field.value().size());
    }
    req.body = std::move(msg.body());
    req.request_id = NextRequestId();
    if (remote_address_.empty()) {  // once per connection: getpeername is a syscall
      beast::error_code ignored;
      auto endpoint = stream_.socket().remote_endpoint(ignored);
      remote_address_ = ignored ? "?" : endpoint.address().to_string();
    }
    req.remote_address = remote_address_;

    stream_.expires_never();  // the handler may take its time (sync mode); the client may wait
    handler_.Handle(std::move(req), [self = shared_from_this()](ApiResponse response) {
      // Inline when the handler answers on this connection's thread; queued otherwise.
      net::dispatch(self->stream_.get_executor(),
                    [self, response = std::move(response)]() mutable { self->Send(std::move(response)); });
    });
  }

  void SendError(int status, std::string message) {
    keep_alive_ = false;
    ApiResponse r = ApiResponse::Json(status, "{\"detail\":\"" + message + "\"}");
    Send(std::move(r));
  }

  void Send(ApiResponse response) {
    if (response.stream) return StartStream(std::move(response));
    auto msg = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(response.status), 11);
    msg->set(http::field::server, "kiln");
    msg->set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) msg->set(name, value);
    msg->body() = std::move(response.body);
    msg->keep_alive(keep_alive_);
    msg->prepare_payload();
    stream_.expires_after(options_.idle_timeout);
    http::async_write(stream_, *msg, [self = shared_from_this(), msg](beast::error_code ec, size_t) {
      if (ec || !self->keep_alive_) return self->Close();
      self->Read();
    });
  }

  // Server-sent events: headers, then each chunk as it comes; the body ends
  // when the connection closes (no Content-Length), which every SSE client
  // and browser accepts.
  void StartStream(ApiResponse response) {
    std::string head = "HTTP/1.1 200 OK\r\nServer: kiln\r\nContent-Type: text/event-stream\r\n"
                       "Cache-Control: no-cache\r\nConnection: close\r\nX-Accel-Buffering: no\r\n";
    for (auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
    head += "\r\n";
    stream_.expires_never();
    Write(std::move(head), false);
    // The subscription holds the session until the last event (or a failed
    // write, or the client closing: WatchForClose) ends the stream.
    auto self = shared_from_this();
    stop_stream_ = response.stream([self](std::string chunk, bool last) {
      net::post(self->stream_.get_executor(),
                [self, chunk = std::move(chunk), last]() mutable { self->Write(std::move(chunk), last); });
    });
    WatchForClose();
  }

  // An event stream's client sends nothing more; a read that ends means it went away.
  void WatchForClose() {
    stream_.socket().async_read_some(net::buffer(discard_),
                                     [self = shared_from_this()](beast::error_code ec, size_t) {
                                       if (ec) return self->Close();
                                       self->WatchForClose();
                                     });
  }

  void Write(std::string chunk, bool last) {
    if (closed_) return;
    pending_.push_back(std::move(chunk));
    if (last) closing_after_writes_ = true;
    if (pending_.size() == 1) WriteNext();
  }

  void WriteNext() {
    net::async_write(stream_, net::buffer(pending_.front()),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->pending_.pop_front();
                       if (!self->pending_.empty()) return self->WriteNext();
                       if (self->closing_after_writes_) self->Close();
                     });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    if (stop_stream_) {
      auto stop = std::move(stop_stream_);
      stop_stream_ = nullptr;
      stop();
    }
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpHandler& handler_;
  const HttpServerOptions& options_;
  bool keep_alive_ = true;
  bool closed_ = false;
  bool closing_after_writes_ = false;
  std::deque<std::string> pending_;
  std::function<void()> stop_stream_;
  char discard_[256];
  std::string remote_address_;
};

}  // namespace

// One io_context per network thread: a connection lives on one thread for its
// whole life, so its handlers need no strand and no thread shares a queue lock.
struct HttpServer::Impl {
  Impl(HttpServerOptions o, HttpHandler& h) : options(std::move(o)), handler(h) {
    for (int i = 0; i < std::max(1, options.threads); ++i) ios.push_back(std::make_unique<net::io_context>(1));
    acceptor = std::make_unique<tcp::acceptor>(*ios[0]);
  }

  void Accept() {
    net::io_context& target = *ios[next_io++ % ios.size()];
    acceptor->async_accept(target, [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
      if (!ec) {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(std::move(socket), handler, options)->Run();
      }
      Accept();
    });
  }

  HttpServerOptions options;
  HttpHandler& handler;
  std::vector<std::unique_ptr<net::io_context>> ios;
  std::unique_ptr<tcp::acceptor> acceptor;
  size_t next_io = 0;  // used on ios[0]'s thread only
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool running = false;
};

HttpServer::HttpServer(HttpServerOptions options, HttpHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  Impl& s = *impl_;
  beast::error_code ec;
  const auto address = net::ip::make_address(s.options.address, ec);
  if (ec) return Status::InvalidArgument("listen address '" + s.options.address + "': " + ec.message());
  tcp::endpoint endpoint(address, s.options.port);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("cannot listen on " + s.options.address + ":" + std::to_string(s.options.port) +
                               ": " + ec.message());
  }
  s.port = s.acceptor->local_endpoint().port();
  s.Accept();
  s.running = true;
  for (auto& io : s.ios) {
    s.threads.emplace_back([io = io.get()] {
      auto guard = net::make_work_guard(*io);  // idle threads wait for connections
      io->run();
    });
  }
  return Status::Ok();
}

void HttpServer::Stop() {
  Impl& s = *impl_;
  if (!s.running) return;
  s.running = false;
  net::post(s.acceptor->get_executor(), [&s] {
    beast::error_code ec;
    s.acceptor->close(ec);
  });
  for (auto& io : s.ios) io->stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
}

uint16_t HttpServer::port() const { return impl_->port; }

}  // namespace kiln
