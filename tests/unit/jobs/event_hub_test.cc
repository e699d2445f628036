#include "kiln/jobs/event_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln {
namespace {

// "prefix" + number, built by append: GCC 12 at -O3 warns (-Wrestrict, a
// false positive) on "literal" + std::string.
std::string Id(const char* prefix, int n) {
  std::string id(prefix);
  id += std::to_string(n);
  return id;
}

JobEvent Event(const std::string& job, const std::string& type, bool terminal = false) {
  return JobEvent{job, type, "{}", terminal};
}

TEST(EventHubTest, SubscribersGetTheirJobsEvents) {
  EventHub hub;
  std::vector<std::string> a_events, b_events;
  const uint64_t a = hub.Subscribe("a", [&](const JobEvent& e) { a_events.push_back(e.type); });
  hub.Subscribe("b", [&](const JobEvent& e) { b_events.push_back(e.job_id + ":" + e.type); });
  hub.Publish(Event("a", "queued"));
  hub.Publish(Event("b", "running"));
  hub.Publish(Event("a", "progress"));
  EXPECT_EQ(a_events, (std::vector<std::string>{"queued", "progress"}));
  EXPECT_EQ(b_events, (std::vector<std::string>{"b:running"}));
  hub.Unsubscribe(a);
  hub.Publish(Event("a", "done", true));
  EXPECT_EQ(a_events.size(), 2u);
  hub.Unsubscribe(a);      // twice: ignored
  hub.Unsubscribe(12345);  // unknown: ignored
}

TEST(EventHubTest, ALateSubscriberGetsTheLastEventFirst) {
  EventHub hub;
  hub.Publish(Event("a", "queued"));
  hub.Publish(Event("a", "progress"));
  std::vector<std::string> events;
  hub.Subscribe("a", [&](const JobEvent& e) { events.push_back(e.type); });
  EXPECT_EQ(events, (std::vector<std::string>{"progress"}));
  hub.Publish(Event("a", "done", true));
  EXPECT_EQ(events, (std::vector<std::string>{"progress", "done"}));
  // Nothing for a job never heard of.
  std::vector<std::string> none;
  hub.Subscribe("zzz", [&](const JobEvent& e) { none.push_back(e.type); });
  EXPECT_TRUE(none.empty());
}

TEST(EventHubTest, SeveralSubscribersOfOneJob) {
  EventHub hub;
  int first = 0, second = 0;
  hub.Subscribe("a", [&](const JobEvent&) { ++first; });
  const uint64_t s = hub.Subscribe("a", [&](const JobEvent&) { ++second; });
  hub.Publish(Event("a", "progress"));
  hub.Unsubscribe(s);
  hub.Publish(Event("a", "progress"));
  EXPECT_EQ(first, 2);
  EXPECT_EQ(second, 1);
}

TEST(EventHubTest, FinishedJobsLastEventsAreBounded) {
  EventHub hub(3);
  for (int i = 0; i < 10; ++i) {
    const std::string job = Id("job", i);
    hub.Publish(Event(job, "progress"));
    hub.Publish(Event(job, "done", true));
  }
  EXPECT_EQ(hub.kept_events(), 3u);
  // The newest are kept, the oldest forgotten.
  int kept = 0, forgotten = 0;
  hub.Subscribe("job9", [&](const JobEvent&) { ++kept; });
  hub.Subscribe("job0", [&](const JobEvent&) { ++forgotten; });
  EXPECT_EQ(kept, 1);
  EXPECT_EQ(forgotten, 0);
  // A job that has not finished keeps its last event whatever else finishes.
  hub.Publish(Event("running", "progress"));
  for (int i = 10; i < 20; ++i) hub.Publish(Event(Id("job", i), "done", true));
  int running = 0;
  hub.Subscribe("running", [&](const JobEvent&) { ++running; });
  EXPECT_EQ(running, 1);
  EXPECT_EQ(hub.kept_events(), 4u);
}

TEST(EventHubTest, ACallbackMayUnsubscribeAndPublish) {
  EventHub hub;
  uint64_t self = 0;
  int calls = 0;
  self = hub.Subscribe("a", [&](const JobEvent& e) {
    ++calls;
    if (e.terminal) hub.Unsubscribe(self);
  });
  std::vector<std::string> chained;
  hub.Subscribe("b", [&](const JobEvent& e) {
    chained.push_back(e.type);
    if (e.type == "running") hub.Publish(Event("b", "progress"));
  });
  hub.Publish(Event("a", "done", true));
  hub.Publish(Event("a", "done", true));
  EXPECT_EQ(calls, 1);
  hub.Publish(Event("b", "running"));
  EXPECT_EQ(chained, (std::vector<std::string>{"running", "progress"}));
}

TEST(EventHubTest, ACallbackThatUnsubscribesAnotherStopsIt) {
  EventHub hub;
  uint64_t second = 0;
  int second_calls = 0;
  hub.Subscribe("a", [&](const JobEvent&) { hub.Unsubscribe(second); });
  second = hub.Subscribe("a", [&](const JobEvent&) { ++second_calls; });
  hub.Publish(Event("a", "progress"));
  EXPECT_EQ(second_calls, 0);
}

TEST(EventHubTest, ConcurrentPublishersAndSubscribers) {
  EventHub hub;
  constexpr int kJobs = 8, kEvents = 200;
  std::atomic<int> received{0};
  std::vector<std::thread> threads;
  std::vector<std::vector<int>> seen(kJobs);
  for (int j = 0; j < kJobs; ++j) {
    hub.Subscribe(Id("job", j), [&, j](const JobEvent& e) {
      seen[j].push_back(std::stoi(e.data_json));
      ++received;
    });
  }
  for (int j = 0; j < kJobs; ++j) {
    threads.emplace_back([&, j] {
      for (int i = 0; i < kEvents; ++i) hub.Publish(JobEvent{Id("job", j), "progress", std::to_string(i), false});
    });
    threads.emplace_back([&, j] {
      // Late subscribers come and go while events flow.
      for (int i = 0; i < 50; ++i) hub.Unsubscribe(hub.Subscribe(Id("job", j), [](const JobEvent&) {}));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(received.load(), kJobs * kEvents);
  for (int j = 0; j < kJobs; ++j) {
    ASSERT_EQ(seen[j].size(), static_cast<size_t>(kEvents));
    for (int i = 0; i < kEvents; ++i) EXPECT_EQ(seen[j][i], i);  // publish order
  }
}

}  // namespace
}  // namespace kiln
