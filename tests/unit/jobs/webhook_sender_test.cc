#include "kiln/jobs/webhook_sender.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "testing/http_receiver.h"

namespace kiln {
namespace {

using ::kiln::testing::HttpReceiver;
using namespace std::chrono_literals;

// Collects the attempts the sender records (from its threads).
class Recorder {
 public:
  WebhookSender::RecordFn fn() {
    return [this](const WebhookAttempt& attempt) {
      std::lock_guard<std::mutex> lock(mutex_);
      attempts_.push_back(attempt);
      cv_.notify_all();
    };
  }
  std::vector<WebhookAttempt> attempts() {
    std::lock_guard<std::mutex> lock(mutex_);
    return attempts_;
  }
  bool WaitFor(size_t count, std::chrono::seconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, limit, [&] { return attempts_.size() >= count; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<WebhookAttempt> attempts_;
};

// Short waits everywhere: the tests must not depend on the defaults' seconds.
WebhookOptions TestOptions() {
  WebhookOptions options;
  options.allow_private = true;  // the receiver is on 127.0.0.1
  options.initial_backoff = 10ms;
  options.max_backoff = 40ms;
  options.timeout = 5000ms;
  return options;
}

// The signature computed independently of kiln's crypto: OpenSSL directly.
std::string ExpectedSignature(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static const char kHex[] = "0123456789abcdef";
  std::string hex = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[mac[i] >> 4]);
    hex.push_back(kHex[mac[i] & 15]);
  }
  return hex;
}

std::string Header(const HttpReceiver::Request& request, const char* name) {
  auto it = request.find(name);
  return it == request.end() ? std::string("<absent>") : std::string(it->value());
}

TEST(WebhookSenderTest, DeliversExactBodySignedWithSecret) {
  HttpReceiver receiver({200});
  Recorder recorder;
  const std::string body =
      "{\"id\": \"job-1\", \"status\": \"Ready\", \"result\": {\"sample\": \"http://x/y.png\", "
      "\"prompt\": \"caf\xc3\xa9 \\\"quoted\\\"\\n\", \"seed\": 42}, \"timestamp\": 1700000000}  ";
  {
    WebhookSender sender(TestOptions(), recorder.fn());
    sender.Enqueue({.job_id = "job-1",
                    .url = receiver.url("/hooks/kiln?token=abc"),
                    .secret = "s3cret",
                    .body = body,
                    .traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"});
    sender.Drain();
  }
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& request = requests[0];
  EXPECT_EQ(request.method(), boost::beast::http::verb::post);
  EXPECT_EQ(request.target(), "/hooks/kiln?token=abc");
  EXPECT_EQ(request.body(), body);
  EXPECT_EQ(Header(request, "Host"), "127.0.0.1:" + std::to_string(receiver.port()));
  EXPECT_EQ(Header(request, "Content-Type"), "application/json");
  EXPECT_EQ(Header(request, "User-Agent"), "kiln-webhook/1");
  EXPECT_EQ(Header(request, "X-BFL-Signature"), ExpectedSignature("s3cret", request.body()));
  EXPECT_EQ(Header(request, "X-Webhook-Secret"), "s3cret");
  EXPECT_EQ(Header(request, "traceparent"), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

  const auto attempts = recorder.attempts();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].job_id, "job-1");
  EXPECT_EQ(attempts[0].attempt, 1);
  EXPECT_EQ(attempts[0].http_status, 200);
  EXPECT_EQ(attempts[0].error, "");
  EXPECT_GT(attempts[0].at_ms, 1'600'000'000'000);  // unix ms, not a steady clock
}

TEST(WebhookSenderTest, NoSignatureHeadersWithoutSecret) {
  HttpReceiver receiver({204});
  Recorder recorder;
  WebhookSender sender(TestOptions(), recorder.fn());
  sender.Enqueue({.job_id = "job-2", .url = receiver.url(), .secret = "", .body = "{}", .traceparent = ""});
  sender.Drain();
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body(), "{}");
  EXPECT_EQ(Header(requests[0], "X-BFL-Signature"), "<absent>");
  EXPECT_EQ(Header(requests[0], "X-Webhook-Secret"), "<absent>");
  EXPECT_EQ(Header(requests[0], "traceparent"), "<absent>");
  const auto attempts = recorder.attempts();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].http_status, 204);
  EXPECT_EQ(attempts[0].error, "");
}

TEST(WebhookSenderTest, RetriesUntil2xx) {
  HttpReceiver receiver({500, 500, 200});
  Recorder recorder;
  WebhookSender sender(TestOptions(), recorder.fn());
  sender.Enqueue({.job_id = "job-3", .url = receiver.url(), .secret = "k", .body = "{\"a\":1}", .traceparent = ""});
  sender.Drain();
  EXPECT_EQ(receiver.requests().size(), 3u);
  const auto attempts = recorder.attempts();
  ASSERT_EQ(attempts.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(attempts[i].job_id, "job-3");
    EXPECT_EQ(attempts[i].attempt, i + 1);
  }
  EXPECT_EQ(attempts[0].http_status, 500);
  EXPECT_EQ(attempts[0].error, "HTTP 500 Internal Server Error");
  EXPECT_EQ(attempts[1].http_status, 500);
  EXPECT_EQ(attempts[2].http_status, 200);
  EXPECT_EQ(attempts[2].error, "");
  // Every retry carries the same signed body.
  for (const auto& request : receiver.requests()) {
    EXPECT_EQ(request.body(), "{\"a\":1}");
    EXPECT_EQ(Header(request, "X-BFL-Signature"), ExpectedSignature("k", "{\"a\":1}"));
  }
}

TEST(WebhookSenderTest, GivesUpAfterMaxAttempts) {
  HttpReceiver receiver({503});
  Recorder recorder;
  WebhookOptions options = TestOptions();
  options.max_attempts = 4;
  WebhookSender sender(options, recorder.fn());
  sender.Enqueue({.job_id = "job-4", .url = receiver.url(), .secret = "", .body = "{}", .traceparent = ""});
  sender.Drain();
  EXPECT_EQ(receiver.requests().size(), 4u);
  const auto attempts = recorder.attempts();
  ASSERT_EQ(attempts.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(attempts[i].attempt, i + 1);
    EXPECT_EQ(attempts[i].http_status, 503);
    EXPECT_FALSE(attempts[i].error.empty());
  }
}

TEST(WebhookSenderTest, TimesOutWhenReceiverNeverAnswers) {
  HttpReceiver receiver({0});
  Recorder recorder;
  WebhookOptions options = TestOptions();
  options.timeout = 200ms;
  options.max_attempts = 1;
  const auto start = std::chrono::steady_clock::now();
  {
    WebhookSender sender(options, recorder.fn());
    sender.Enqueue({.job_id = "job-5", .url = receiver.url(), .secret = "", .body = "{}", .traceparent = ""});
    sender.Drain();
  }
  // Bounded, not tight: far below "hangs forever", far above 200 ms on a loaded machine.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
  EXPECT_EQ(receiver.requests().size(), 1u);
  const auto attempts = recorder.attempts();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].http_status, 0);
  EXPECT_NE(attempts[0].error.find("timed out after 200 ms"), std::string::npos) << attempts[0].error;
}

TEST(WebhookSenderTest, ConnectionFailureIsRecordedAndRetried) {
  // A port nothing listens on: take an ephemeral one and let it go.
  uint16_t port;
  {
    HttpReceiver closed({200});
    port = closed.port();
  }
  Recorder recorder;
  WebhookOptions options = TestOptions();
  options.max_attempts = 2;
  WebhookSender sender(options, recorder.fn());
  sender.Enqueue({.job_id = "job-6",
                  .url = "http://127.0.0.1:" + std::to_string(port) + "/",
                  .secret = "",
                  .body = "{}",
                  .traceparent = ""});
  sender.Drain();
  const auto attempts = recorder.attempts();
  ASSERT_EQ(attempts.size(), 2u);
  for (const auto& attempt : attempts) {
    EXPECT_EQ(attempt.http_status, 0);
    EXPECT_FALSE(attempt.error.empty());
  }
}

TEST(WebhookSenderTest, RefusesPrivateTargetWithoutRetrying) {
  HttpReceiver receiver({200});
  Recorder recorder;
  WebhookOptions options = TestOptions();
  options.allow_private = false;
  WebhookSender sender(options, recorder.fn());
  sender.Enqueue({.job_id = "job-7", .url = receiver.url(), .secret = "k", .body = "{}", .traceparent = ""});
  sender.Drain();
  EXPECT_TRUE(receiver.requests().empty());
  const auto attempts = recorder.attempts();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].attempt, 1);
  EXPECT_EQ(attempts[0].http_status, 0);
  EXPECT_EQ(attempts[0].error, "refused: 127.0.0.1 is a private/loopback address (SSRF protection)");
}

TEST(WebhookSenderTest, RefusesNameResolvingToLoopback) {
  HttpReceiver receiver({200});
  Recorder recorder;
  WebhookOptions options = TestOptions();
  options.allow_private = false;
  WebhookSender sender(options, recorder.fn());
  sender.Enqueue({.job_id = "job-8",
                  .url = "http://localhost:" + std::to_string(receiver.port()) + "/",
                  .secret = "",
                  .body = "{}",
                  .traceparent = ""});
  sender.Drain();
  EXPECT_TRUE(receiver.requests().empty());
  const auto attempts = recorder.attempts();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].error.rfind("refused: ", 0), 0u) << attempts[0].error;
}

TEST(WebhookSenderTest, DrainWaitsForEveryDelivery) {
  HttpReceiver receiver({200});
  Recorder recorder;
  WebhookOptions options = TestOptions();
  options.threads = 3;
  WebhookSender sender(options, recorder.fn());
  constexpr int kDeliveries = 20;
  for (int i = 0; i < kDeliveries; ++i) {
    sender.Enqueue({.job_id = "job-" + std::to_string(i),
                    .url = receiver.url(),
                    .secret = "",
                    .body = std::to_string(i),
                    .traceparent = ""});
  }
  sender.Drain();
  EXPECT_EQ(receiver.requests().size(), static_cast<size_t>(kDeliveries));
  EXPECT_EQ(recorder.attempts().size(), static_cast<size_t>(kDeliveries));
}

TEST(WebhookSenderTest, DestructorDoesNotWaitForBackoff) {
  HttpReceiver receiver({500});
  Recorder recorder;
  WebhookOptions options = TestOptions();
  options.initial_backoff = 3600s;
  options.max_backoff = 3600s;
  auto sender = std::make_unique<WebhookSender>(options, recorder.fn());
  sender->Enqueue({.job_id = "job-9", .url = receiver.url(), .secret = "", .body = "{}", .traceparent = ""});
  ASSERT_TRUE(recorder.WaitFor(1, 20s));
  const auto start = std::chrono::steady_clock::now();
  sender.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
  EXPECT_EQ(recorder.attempts().size(), 1u);
}

}  // namespace
}  // namespace kiln
