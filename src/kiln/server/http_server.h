// HttpServer: HTTP/1.1 on Boost.Beast/Asio. Its threads only parse, hand the
// request to the HttpHandler and write what comes back: they never block
// and never compute (handlers answer later, from any thread, through the
// Responder). Keep-alive, a body size limit (413), an idle timeout, and
// server-sent event streams.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "kiln/base/status.h"
#include "kiln/server/api_types.h"

namespace kiln {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;  // 0: an ephemeral port (see port())
  int threads = 2;
  size_t max_body_bytes = 1 << 20;
  std::chrono::seconds idle_timeout{60};
};

class HttpServer {
 public:
  // REQUIRES: handler outlives the server.
  HttpServer(HttpServerOptions options, HttpHandler& handler);
  ~HttpServer();  // Stop()

  // Binds and starts the threads. Unavailable when the address is taken.
  Status Start();
  // Stops accepting, closes connections, joins the threads. Idempotent.
  void Stop();
  // The bound port (after Start).
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln
