// EventHub: live events of each job (queue position, step i of n, moderation,
// done, error) for server-sent event streams and the playground.
//
// Publish never blocks on a subscriber: callbacks run on the publishing
// thread and must only hand the event over (e.g. post it to a connection's
// strand). The hub keeps the last event of each job for a while, so a
// subscriber that arrives late still learns where the job is.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace kiln {

struct JobEvent {
  std::string job_id;
  std::string type;       // SSE event name: "queued", "running", "progress", "moderation", "done", "error"
  std::string data_json;  // one-line JSON object
  bool terminal = false;  // the last event of the job
};

class EventHub {
 public:
  using Callback = std::function<void(const JobEvent&)>;

  // Returns a subscription id; the callback first receives the job's last
  // event when there is one.
  uint64_t Subscribe(std::string_view job_id, Callback callback);
  void Unsubscribe(uint64_t subscription);
  void Publish(const JobEvent& event);
};

}  // namespace kiln
