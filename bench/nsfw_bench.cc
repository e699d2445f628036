// Throughput of the NSFW image classifier (models/nsfw-mobilenet-v2, the
// nsfwjs MobileNetV2 at 224×224, ~0.3 GFLOP per image) at batch 1 and 16,
// with 1 and 2 threads: images/s from the median wall time of the repeats.
//
// Usage: nsfw_bench [--model DIR] [--reps N]   (default models/nsfw-mobilenet-v2, 9)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_timing.h"
#include "kiln/base/flags.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/mobilenet_v2/nsfw_classifier.h"

namespace kiln {
namespace {

int Main(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {{"model", false, "model directory (default models/nsfw-mobilenet-v2)"},
                                       {"reps", false, "timed repetitions per row (default 9)"}};
  StatusOr<Flags> flags = Flags::Parse(argc, argv, specs);
  StatusOr<int64_t> reps_flag = flags.ok() ? flags->GetInt("reps", 9, 1, 1000) : flags.status();
  if (!reps_flag.ok()) {
    std::fprintf(stderr, "nsfw_bench: %s\n%s", reps_flag.status().message().c_str(), Flags::Usage(specs).c_str());
    return 2;
  }
  const std::string model_dir = flags->GetString("model", "models/nsfw-mobilenet-v2");
  const int reps = static_cast<int>(*reps_flag);
  auto classifier = NsfwClassifier::Load(model_dir);
  if (!classifier.ok()) {
    std::fprintf(stderr, "nsfw_bench: %s\n", classifier.status().ToString().c_str());
    return 1;
  }
  constexpr int kSide = NsfwClassifier::kInputSize;
  constexpr int kMaxBatch = 16;
  std::vector<uint8_t> rgb(static_cast<size_t>(kMaxBatch) * kSide * kSide * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>((i * 2654435761u) >> 24);
  std::vector<NsfwResult> results(kMaxBatch);

  std::printf("%-8s %-8s %12s %12s %10s\n", "threads", "batch", "median ms", "best ms", "images/s");
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    for (int batch : {1, kMaxBatch}) {
      const auto run = [&] {
        const Status s = (*classifier)->ClassifyBatch(pool, rgb.data(), batch, results.data());
        if (!s.ok()) std::abort();
      };
      const std::vector<double> ms = bench::TimeSortedMs(reps, 1, run);
      const double median = bench::Median(ms);
      std::printf("%-8d %-8d %12.2f %12.2f %10.1f\n", threads, batch, median, ms.front(), batch * 1000.0 / median);
    }
  }
  return 0;
}

}  // namespace
}  // namespace kiln

int main(int argc, char** argv) { return kiln::Main(argc, argv); }
