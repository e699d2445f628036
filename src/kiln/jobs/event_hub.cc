#include "kiln/jobs/event_hub.h"

#include <optional>
#include <vector>

namespace kiln {

uint64_t EventHub::Subscribe(std::string_view job_id_view, Callback callback) {
  std::string job_id(job_id_view);
  auto subscriber = std::make_shared<Subscriber>();
  subscriber->callback = std::move(callback);
  std::lock_guard<std::recursive_mutex> delivery(delivery_mu_);
  std::optional<JobEvent> last;
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_subscription_++;
    job_of_subscription_.emplace(id, job_id);
    subscribers_[job_id].emplace(id, subscriber);
    auto kept = last_.find(job_id);
    if (kept != last_.end()) last = kept->second.event;
  }
  // Still under delivery_mu_: no newer event can overtake this one.
  if (last) subscriber->callback(*last);
  return id;
}

void EventHub::Unsubscribe(uint64_t subscription) {
  // Waits for a delivery in progress on another thread to end.
  std::lock_guard<std::recursive_mutex> delivery(delivery_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  auto job = job_of_subscription_.find(subscription);
  if (job == job_of_subscription_.end()) return;
  auto subscribers = subscribers_.find(job->second);
  auto subscriber = subscribers->second.find(subscription);
  subscriber->second->active = false;  // a Publish of this thread may hold a copy
  subscribers->second.erase(subscriber);
  if (subscribers->second.empty()) subscribers_.erase(subscribers);
  job_of_subscription_.erase(job);
}

void EventHub::Publish(const JobEvent& event) {
  std::lock_guard<std::recursive_mutex> delivery(delivery_mu_);
  // Copies of the callbacks: a callback may unsubscribe (itself or another)
  // while this loop runs.
  std::vector<std::shared_ptr<Subscriber>> callbacks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t sequence = next_sequence_++;
    Kept& kept = last_[event.job_id];
    kept.event = event;
    kept.sequence = sequence;
    if (event.terminal) {
      finished_.emplace_back(event.job_id, sequence);
      // Forget the oldest finished jobs; an entry whose job has published
      // again since (a newer sequence) is stale and only dropped.
      while (finished_.size() > max_finished_kept_) {
        auto& [job_id, seq] = finished_.front();
        auto it = last_.find(job_id);
        if (it != last_.end() && it->second.sequence == seq) last_.erase(it);
        finished_.pop_front();
      }
    }
    auto subscribers = subscribers_.find(event.job_id);
    if (subscribers != subscribers_.end()) {
      callbacks.reserve(subscribers->second.size());
      for (const auto& [id, callback] : subscribers->second) callbacks.push_back(callback);
    }
  }
  for (const auto& subscriber : callbacks) {
    if (subscriber->active) subscriber->callback(event);
  }
}

std::vector<std::string> EventHub::WatchedJobs() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  out.reserve(subscribers_.size());
  for (const auto& [job_id, subscribers] : subscribers_) out.push_back(job_id);
  return out;
}

size_t EventHub::kept_events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_.size();
}

}  // namespace kiln
