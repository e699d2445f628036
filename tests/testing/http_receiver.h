// HttpReceiver: a tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port) for
// tests of outgoing requests. It records every request and answers with a
// scripted sequence of statuses; the status 0 means "never answer" (the
// connection is held open until the receiver is destroyed).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace kiln::testing {

class HttpReceiver {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  // answers[i] answers the i-th request; past the end, the last one repeats.
  explicit HttpReceiver(std::vector<int> answers) : answers_(std::move(answers)) {
    namespace asio = boost::asio;
    acceptor_.open(asio::ip::tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~HttpReceiver() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return port_; }
  std::string url(const std::string& target = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + target;
  }

  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  struct Session {
    explicit Session(boost::asio::ip::tcp::socket s) : socket(std::move(s)) {}
    boost::asio::ip::tcp::socket socket;
    boost::beast::flat_buffer buffer;
    Request request;
    boost::beast::http::response<boost::beast::http::string_body> response;
  };

  void Accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket) {
      if (ec) return;
      auto session = std::make_shared<Session>(std::move(socket));
      boost::beast::http::async_read(session->socket, session->buffer, session->request,
                                     [this, session](const boost::system::error_code& ec, size_t) {
                                       if (!ec) Answer(session);
                                     });
      Accept();
    });
  }

  void Answer(const std::shared_ptr<Session>& session) {
    int status;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      status = answers_.empty() ? 200 : answers_[std::min(requests_.size(), answers_.size() - 1)];
      requests_.push_back(session->request);
    }
    if (status == 0) {
      held_.push_back(session);
      return;
    }
    session->response.result(static_cast<unsigned>(status));
    session->response.version(11);
    if (status != 204 && status != 304 && status >= 200) session->response.body() = "ok";  // those carry no body
    session->response.prepare_payload();
    boost::beast::http::async_write(session->socket, session->response,
                                    [session](const boost::system::error_code&, size_t) {
                                      boost::system::error_code ignored;
                                      session->socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
                                    });
  }

  const std::vector<int> answers_;
  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  uint16_t port_ = 0;
  std::vector<std::shared_ptr<Session>> held_;  // only touched on the io thread
  mutable std::mutex mutex_;
  std::vector<Request> requests_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace kiln::testing
