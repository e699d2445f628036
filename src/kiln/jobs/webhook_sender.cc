#include "kiln/jobs/webhook_sender.h"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "kiln/base/clock.h"
#include "kiln/base/crypto.h"
#include "kiln/base/logging.h"
#include "kiln/jobs/http_post.h"
#include "kiln/jobs/webhook_url.h"

namespace kiln {
namespace {

using Clock = std::chrono::steady_clock;

// The SSRF guard, run on every resolved address before connecting.
Status RefusePrivate(std::string_view address) {
  if (!IsPrivateAddress(address)) return Status::Ok();
  return Status(StatusCode::kPermissionDenied,
                "refused: " + std::string(address) + " is a private/loopback address (SSRF protection)");
}

HttpPostRequest BuildRequest(const WebhookUrl& url, const WebhookDelivery& delivery) {
  HttpPostRequest request;
  request.host = url.host;
  request.port = url.port;
  request.host_header = url.host_header;
  request.target = url.target;
  request.headers = {{"Content-Type", "application/json"}, {"User-Agent", "kiln-webhook/1"}};
  if (!delivery.secret.empty()) {
    // Both schemes BFL's clients verify: the HMAC of the exact body, and the shared secret itself.
    request.headers.emplace_back("X-BFL-Signature", "sha256=" + HmacSha256Hex(delivery.secret, delivery.body));
    request.headers.emplace_back("X-Webhook-Secret", delivery.secret);
  }
  if (!delivery.traceparent.empty()) request.headers.emplace_back("traceparent", delivery.traceparent);
  request.body = delivery.body;
  return request;
}

}  // namespace

struct WebhookSender::Impl {
  struct Pending {
    uint64_t id = 0;
    int attempts = 0;  // made so far
    WebhookDelivery delivery;
  };

  Impl(WebhookOptions opts, RecordFn record_fn) : options(std::move(opts)), record(std::move(record_fn)) {
    options.max_attempts = std::max(1, options.max_attempts);
    const int threads = std::max(1, options.threads);
    for (int i = 0; i < threads; ++i) workers.emplace_back([this] { WorkerLoop(); });
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    work_cv.notify_all();
    done_cv.notify_all();
    // A worker inside an attempt finishes it first: at most options.timeout.
    for (auto& worker : workers) worker.join();
  }

  void WorkerLoop() {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      if (stopping) return;
      if (queue.empty()) {
        work_cv.wait(lock);
        continue;
      }
      const Clock::time_point due = queue.begin()->first;
      if (due > Clock::now()) {
        // Woken early by an Enqueue (maybe of something due sooner) or by stopping: look again.
        work_cv.wait_until(lock, due);
        continue;
      }
      Pending pending = std::move(queue.begin()->second);
      queue.erase(queue.begin());
      lock.unlock();
      const std::optional<Clock::duration> retry_after = AttemptOnce(pending);
      lock.lock();
      if (retry_after && !stopping) {
        queue.emplace(Clock::now() + *retry_after, std::move(pending));
      } else {
        unfinished.erase(pending.id);
        done_cv.notify_all();
      }
    }
  }

  // Makes and records one attempt; returns the wait before the next one, or
  // nothing when the delivery is over (delivered, refused or out of attempts).
  std::optional<Clock::duration> AttemptOnce(Pending& pending) {
    WebhookAttempt attempt;
    attempt.job_id = pending.delivery.job_id;
    attempt.attempt = ++pending.attempts;
    attempt.at_ms = UnixMillis();
    bool retryable = false;
    StatusOr<WebhookUrl> url = ParseWebhookUrl(pending.delivery.url);
    if (!url.ok()) {
      attempt.error = url.status().message();  // validated at submit; only a stored bad URL gets here
    } else {
      const StatusOr<HttpPostResponse> response =
          HttpPost(BuildRequest(*url, pending.delivery), options.timeout,
                   options.allow_private ? AddressCheck([](std::string_view) { return Status::Ok(); })
                                         : AddressCheck(RefusePrivate));
      if (response.ok()) {
        attempt.http_status = response->status;
        const bool delivered = response->status >= 200 && response->status < 300;
        if (!delivered) attempt.error = "HTTP " + std::to_string(response->status) + " " + response->reason;
        retryable = !delivered;
      } else {
        attempt.error = response.status().message();
        // A refused target or a request we cannot even form fails the same way every time.
        retryable = response.status().code() != StatusCode::kPermissionDenied &&
                    response.status().code() != StatusCode::kInvalidArgument;
      }
    }
    record(attempt);
    if (attempt.error.empty()) return std::nullopt;
    if (!retryable || attempt.attempt >= options.max_attempts) {
      KILN_LOG(kWarning) << "webhook for job " << attempt.job_id << " given up after attempt " << attempt.attempt
                         << ": " << attempt.error;
      return std::nullopt;
    }
    KILN_LOG(kInfo) << "webhook for job " << attempt.job_id << " attempt " << attempt.attempt
                    << " failed, retrying: " << attempt.error;
    return Backoff(attempt.attempt);
  }

  // initial_backoff doubled per failed attempt, at most max_backoff.
  Clock::duration Backoff(int failed_attempts) const {
    std::chrono::milliseconds backoff = options.initial_backoff;
    for (int i = 1; i < failed_attempts && backoff < options.max_backoff; ++i) backoff *= 2;
    return std::min(backoff, options.max_backoff);
  }

  WebhookOptions options;
  const RecordFn record;

  std::mutex mutex;
  std::condition_variable work_cv;  // the queue changed, or stopping
  std::condition_variable done_cv;  // a delivery finished, or stopping
  // Deliveries waiting for their next attempt, by when it is due (new ones:
  // now); equal times keep their order.
  std::multimap<Clock::time_point, Pending> queue;
  // Ids of the deliveries enqueued and not finished: queued or in an attempt.
  std::set<uint64_t> unfinished;
  uint64_t next_id = 1;
  bool stopping = false;
  std::vector<std::thread> workers;  // last: started once everything above exists
};

WebhookSender::WebhookSender(WebhookOptions options, RecordFn record)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(record))) {}

WebhookSender::~WebhookSender() = default;

void WebhookSender::Enqueue(WebhookDelivery delivery) {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    Impl::Pending pending;
    pending.id = impl_->next_id++;
    pending.delivery = std::move(delivery);
    impl_->unfinished.insert(pending.id);
    impl_->queue.emplace(Clock::now(), std::move(pending));
  }
  impl_->work_cv.notify_one();
}

void WebhookSender::Drain() {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  // Only what was enqueued before this call: later deliveries cannot keep it waiting.
  const uint64_t last = impl_->next_id - 1;
  impl_->done_cv.wait(lock, [&] {
    return impl_->stopping || impl_->unfinished.empty() || *impl_->unfinished.begin() > last;
  });
}

}  // namespace kiln
