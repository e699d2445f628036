// Job: one generation request from submit to its final state, the typed value
// that the store keeps, the queue orders and the worker runs.
//
// States: queued → running → ready | request_moderated | content_moderated |
// error | cancelled. A terminal state never changes again (the store enforces
// it), so a job finishes exactly once even when a worker dies mid-run and the
// job is run again after a restart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiln {

enum class JobState {
  kQueued = 0,
  kRunning,
  kReady,
  kRequestModerated,
  kContentModerated,
  kError,
  kCancelled,
};

// "queued", "running", "ready", "request_moderated", "content_moderated",
// "error", "cancelled": the names stored in the database and shown in events.
std::string_view JobStateName(JobState state);
std::optional<JobState> ParseJobState(std::string_view name);
bool IsTerminal(JobState state);

// The status string of BFL's get_result for a state: "Pending" (queued,
// running), "Ready", "Request Moderated", "Content Moderated", "Error"
// (error, cancelled).
std::string_view BflStatus(JobState state);

// What the client asked for, validated (server/) and resolved to a local model.
struct JobRequest {
  std::string model;  // the local model's name (aliases already resolved)
  std::string prompt;
  int width = 0;
  int height = 0;
  int steps = 0;
  float guidance = 0.0f;
  uint64_t seed = 0;
  int safety_tolerance = 2;
  std::string output_format = "jpeg";  // "jpeg" | "png" | "webp"
  std::string webhook_url;             // empty: none
  std::string webhook_secret;          // empty: unsigned
  int priority = 0;                    // higher runs first (tenant policy bounds it)
  int64_t deadline_ms = 0;             // unix ms after which a queued job fails; 0: none
};

struct Job {
  std::string id;      // 36-char UUID v4 text
  std::string tenant;  // owner; no other tenant can read it
  JobRequest request;
  JobState state = JobState::kQueued;
  int64_t created_ms = 0;   // unix ms
  int64_t started_ms = 0;   // 0 until running
  int64_t finished_ms = 0;  // 0 until terminal
  double progress = 0.0;    // 0..1 (denoising steps done / steps)
  std::string blob_key;     // the image in the blob store, when ready
  std::string error;        // a human-readable message, when error/cancelled
  std::string details_json; // a JSON object text (moderation reasons, error detail); "" = null
  std::string traceparent;  // W3C trace context of the submit, for the worker and webhooks
  std::string idempotency_key;  // "" when the client sent none
};

// The blob key under which an image held for review waits (never served by
// the sample route, whose keys are <tenant>/<id>.<ext>).
std::string QuarantineBlobKey(const Job& job);

}  // namespace kiln
