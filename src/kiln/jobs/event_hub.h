// EventHub: live events of each job (queue position, step i of n, moderation,
// done, error) for server-sent event streams and the playground.
//
// Publish never blocks on a subscriber: callbacks run on the publishing
// thread and must only hand the event over (e.g. post it to a connection's
// strand). The hub keeps the last event of each job for a while, so a
// subscriber that arrives late still learns where the job is.
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>
#include <unordered_map>
#include <utility>

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

  // max_finished_kept: how many finished jobs' last events are kept (the
  // oldest go first); a job that has not finished keeps its last event.
  explicit EventHub(size_t max_finished_kept = 10000) : max_finished_kept_(max_finished_kept) {}

  // Returns a subscription id; the callback first receives the job's last
  // event when there is one. Each subscriber sees a job's events in the order
  // they were published, the last event first.
  uint64_t Subscribe(std::string_view job_id, Callback callback);
  // After it returns the callback is not called again (unless it is the
  // callback itself that unsubscribes: that call finishes). Unknown ids are ignored.
  void Unsubscribe(uint64_t subscription);
  void Publish(const JobEvent& event);

  // Jobs that have at least one subscriber now (to push queue positions to).
  std::vector<std::string> WatchedJobs() const;

  // Jobs whose last event is kept (for tests and metrics).
  size_t kept_events() const;

 private:
  struct Subscriber {
    Callback callback;
    bool active = true;  // guarded by delivery_mu_: cleared by Unsubscribe
  };
  struct Kept {
    JobEvent event;
    uint64_t sequence = 0;  // tells a stale entry of finished_ from the current one
  };

  const size_t max_finished_kept_;
  // Orders deliveries: held while callbacks run, so events reach a subscriber
  // in publish order and Unsubscribe can wait out a running delivery.
  // Recursive so a callback may publish, subscribe or unsubscribe.
  std::recursive_mutex delivery_mu_;
  mutable std::mutex mu_;  // guards the state below; never held while a callback runs
  uint64_t next_subscription_ = 1;
  uint64_t next_sequence_ = 1;
  std::unordered_map<uint64_t, std::string> job_of_subscription_;
  std::unordered_map<std::string, std::map<uint64_t, std::shared_ptr<Subscriber>>> subscribers_;
  std::unordered_map<std::string, Kept> last_;
  std::deque<std::pair<std::string, uint64_t>> finished_;  // (job id, sequence), oldest first
};

}  // namespace kiln
