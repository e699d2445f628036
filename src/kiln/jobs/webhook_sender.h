// WebhookSender: delivers job results to the client's webhook_url, the way
// BFL's clients expect, on its own threads (never on a network or compute
// thread).
//
// Body: {"id", "status", "result": {"sample", "prompt", "seed"}, "timestamp"}
// or {"id", "status": "Error", "error", "message", "timestamp"} — the caller
// builds it; the sender sends exactly those bytes. With a secret, both
// schemes BFL's clients verify are sent:
//   X-BFL-Signature: sha256=<hex HMAC-SHA256(secret, body)>
//   X-Webhook-Secret: <secret>
// plus traceparent when the job has one. A 2xx answer ends the delivery;
// anything else is retried with bounded exponential backoff (initial_backoff,
// doubling, at most max_backoff, at most max_attempts attempts in all). Every
// attempt is recorded through the record callback.
//
// SSRF: the target's host is resolved and every address checked; loopback,
// private (RFC 1918, fc00::/7), link-local, unspecified and multicast
// addresses are refused (recorded as a failed attempt, not retried) unless
// allow_private is set. Only http:// targets are supported (https:// is refused
// with a clear error until TLS lands).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "kiln/base/status.h"
#include "kiln/jobs/job_store.h"

namespace kiln {

struct WebhookOptions {
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  std::chrono::milliseconds timeout{5000};  // per attempt: connect + send + answer
  bool allow_private = false;
  int threads = 2;
};

struct WebhookDelivery {
  std::string job_id;
  std::string url;
  std::string secret;  // "" → unsigned
  std::string body;    // JSON, sent as is
  std::string traceparent;
};

// Validates a webhook URL at submit time: http://host[:port][/path], no
// userinfo. InvalidArgument names what is wrong. (The address check happens at
// delivery, after DNS.)
Status ValidateWebhookUrl(std::string_view url);

// True when an IPv4/IPv6 address text is loopback, private, link-local,
// unspecified or multicast (IPv4-mapped and NAT64 IPv6 judged by their IPv4
// address). Text that is not an address counts as private: fail closed.
bool IsPrivateAddress(std::string_view address);

class WebhookSender {
 public:
  // Called on the sender's threads, once per attempt; must not throw.
  using RecordFn = std::function<void(const WebhookAttempt&)>;
  WebhookSender(WebhookOptions options, RecordFn record);
  ~WebhookSender();  // stops: pending deliveries are dropped (they are recorded as attempts so far)

  // Never blocks.
  void Enqueue(WebhookDelivery delivery);
  // Waits until every enqueued delivery has finished (delivered or given up). For tests and shutdown.
  void Drain();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln
