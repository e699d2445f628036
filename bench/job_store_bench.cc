// Inserts per second into SqliteJobStore with N concurrent submitters, each
// in a closed loop (InsertAsync, wait for its durable callback, next), the way
// API handlers submit: throughput comes from group commit, so it grows with
// the number of submitters while one submitter pays one fsync per insert.
// Plus one open-loop row: a single thread fires inserts without waiting.
//
// Usage: job_store_bench [--seconds S] [--dir DIR]
//   --seconds: how long each cell runs (default 2); --dir: where the database
//   files go (default a new directory under /tmp; use a real disk to see real
//   fsync costs, tmpfs makes fsync free).
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kiln/base/flags.h"
#include "kiln/jobs/sqlite_job_store.h"

namespace kiln {
namespace {

// Unique ids without base/crypto: a random prefix per run and a counter.
class IdMaker {
 public:
  IdMaker() : prefix_(std::to_string(std::random_device{}())) { prefix_ += '-'; }
  std::string Next() {
    std::string id = prefix_;
    id += std::to_string(counter_.fetch_add(1));
    return id;
  }

 private:
  std::string prefix_;
  std::atomic<uint64_t> counter_{0};
};

Job BenchJob(IdMaker& ids, int submitter) {
  Job job;
  job.id = ids.Next();
  job.tenant = "tenant";
  job.tenant += std::to_string(submitter % 16);
  job.request.model = "kiln-shapes";
  job.request.prompt = "a small red square on a blue background, studio lighting";
  job.request.width = 512;
  job.request.height = 512;
  job.request.steps = 28;
  job.request.guidance = 3.5f;
  job.request.seed = 42;
  job.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  job.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  return job;
}

struct Result {
  double inserts_per_s = 0;
  double mean_latency_ms = 0;
  int64_t failures = 0;
};

StatusOr<std::unique_ptr<SqliteJobStore>> FreshStore(const std::string& dir, const std::string& name, bool full) {
  const std::string path = dir + "/" + name + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  SqliteStoreOptions options;
  options.synchronous_full = full;
  return SqliteJobStore::Open(path, options);
}

// N submitters, each waiting for its insert to be durable before the next.
StatusOr<Result> ClosedLoop(const std::string& dir, bool full, int submitters, double seconds) {
  KILN_ASSIGN_OR_RETURN(auto store, FreshStore(dir, "closed", full));
  IdMaker ids;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0}, failures{0};
  std::atomic<int64_t> latency_us{0};
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int s = 0; s < submitters; ++s) {
    threads.emplace_back([&, s] {
      std::mutex mu;
      std::condition_variable cv;
      while (!stop.load(std::memory_order_relaxed)) {
        bool finished = false;
        const auto t0 = std::chrono::steady_clock::now();
        store->InsertAsync(BenchJob(ids, s), [&](const Status& status, const Job&) {
          if (!status.ok()) failures.fetch_add(1);
          std::lock_guard<std::mutex> lock(mu);
          finished = true;
          cv.notify_one();
        });
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return finished; });
        latency_us.fetch_add(
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
        done.fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Result result;
  result.inserts_per_s = static_cast<double>(done.load()) / elapsed;
  result.mean_latency_ms = done.load() > 0 ? static_cast<double>(latency_us.load()) / 1000.0 / done.load() : 0;
  result.failures = failures.load();
  return result;
}

// One thread fires `count` inserts without waiting; time until all are durable.
StatusOr<Result> OpenLoop(const std::string& dir, bool full, int count) {
  KILN_ASSIGN_OR_RETURN(auto store, FreshStore(dir, "open", full));
  IdMaker ids;
  std::mutex mu;
  std::condition_variable cv;
  int64_t done = 0;
  std::atomic<int64_t> failures{0};
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    store->InsertAsync(BenchJob(ids, i), [&](const Status& status, const Job&) {
      if (!status.ok()) failures.fetch_add(1);
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      cv.notify_one();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done == count; });
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Result result;
  result.inserts_per_s = count / elapsed;
  result.failures = failures.load();
  return result;
}

int Main(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {{"seconds", false, "seconds per cell (default 2)"},
                                       {"dir", false, "directory for the database files"}};
  auto flags = Flags::Parse(argc, argv, specs);
  if (!flags.ok()) {
    std::fprintf(stderr, "%s\nUsage: job_store_bench [flags]\n%s", flags.status().ToString().c_str(),
                 Flags::Usage(specs).c_str());
    return 2;
  }
  auto seconds = flags->GetDouble("seconds", 2.0);
  if (!seconds.ok()) {
    std::fprintf(stderr, "%s\n", seconds.status().ToString().c_str());
    return 2;
  }
  std::string dir = flags->GetString("dir", "");
  bool remove_dir = false;
  if (dir.empty()) {
    std::string pattern = "/tmp/kiln_job_store_bench_XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = pattern;
    remove_dir = true;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);

  std::printf("SqliteJobStore inserts/s (closed loop: each submitter waits for its insert to be durable)\n");
  std::printf("database in %s, %.1f s per cell\n\n", dir.c_str(), *seconds);
  std::printf("%-22s %14s %12s %14s %12s\n", "submitters", "FULL ins/s", "FULL ms", "NORMAL ins/s", "NORMAL ms");
  int status = 0;
  for (const int submitters : {1, 8, 64}) {
    Result cells[2];
    for (const bool full : {true, false}) {
      auto result = ClosedLoop(dir, full, submitters, *seconds);
      if (!result.ok()) {
        std::fprintf(stderr, "%s\n", result.status().ToString().c_str());
        return 1;
      }
      if (result->failures > 0) status = 1;
      cells[full ? 0 : 1] = *result;
    }
    std::printf("%-22d %14.0f %12.2f %14.0f %12.2f\n", submitters, cells[0].inserts_per_s, cells[0].mean_latency_ms,
                cells[1].inserts_per_s, cells[1].mean_latency_ms);
  }
  constexpr int kOpenLoop = 50000;
  Result open[2];
  for (const bool full : {true, false}) {
    auto result = OpenLoop(dir, full, kOpenLoop);
    if (!result.ok()) {
      std::fprintf(stderr, "%s\n", result.status().ToString().c_str());
      return 1;
    }
    if (result->failures > 0) status = 1;
    open[full ? 0 : 1] = *result;
  }
  std::printf("%-22s %14.0f %12s %14.0f %12s\n", "open loop, 50000", open[0].inserts_per_s, "-",
              open[1].inserts_per_s, "-");
  std::printf("\n(ms: mean time from InsertAsync to the durable callback)\n");
  if (status != 0) std::printf("SOME INSERTS FAILED\n");
  if (remove_dir) std::filesystem::remove_all(dir, ec);
  return status;
}

}  // namespace
}  // namespace kiln

int main(int argc, char** argv) { return kiln::Main(argc, argv); }
