// Latency of one image moderation check (ImageChecker::Check: the NSFW
// classifier with its resize to 224×224, the sexual score and two concept
// heads) per image, for a 64×64 image (kiln-shapes) and a 1024×1024 one (the
// API's usual size), on 1 and 2 threads: median and p99 of the repeats. The
// goal of issue 5 is p99 ≤ 30 ms per image check on 2 cores.
//
// Usage: image_check_bench [--model DIR] [--reps N]   (default models/nsfw-mobilenet-v2, 200)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_timing.h"
#include "kiln/base/flags.h"
#include "kiln/base/thread_pool.h"
#include "kiln/moderation/concept_head.h"
#include "kiln/moderation/image_checker.h"

namespace kiln {
namespace {

ConceptHead BenchHead(const std::string& name, float w) {
  ConceptHead head;
  head.name = name;
  head.mean.assign(kConceptFeatureDim, 0.5f);
  head.inv_std.assign(kConceptFeatureDim, 2.0f);
  head.weight.assign(kConceptFeatureDim, w);
  return head;
}

int Main(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {{"model", false, "model directory (default models/nsfw-mobilenet-v2)"},
                                       {"reps", false, "timed checks per row (default 200)"}};
  StatusOr<Flags> flags = Flags::Parse(argc, argv, specs);
  StatusOr<int64_t> reps_flag = flags.ok() ? flags->GetInt("reps", 200, 1, 100000) : flags.status();
  if (!reps_flag.ok()) {
    std::fprintf(stderr, "image_check_bench: %s\n%s", reps_flag.status().message().c_str(),
                 Flags::Usage(specs).c_str());
    return 2;
  }
  const int reps = static_cast<int>(*reps_flag);
  auto checker = ImageChecker::Load(flags->GetString("model", "models/nsfw-mobilenet-v2"));
  if (!checker.ok()) {
    std::fprintf(stderr, "image_check_bench: %s\n", checker.status().ToString().c_str());
    return 1;
  }
  const ConceptHead a = BenchHead("triangles", 1e-3f), b = BenchHead("logos", -1e-3f);
  const std::vector<const ConceptHead*> heads = {&a, &b};

  std::printf("%-8s %-10s %6s %10s %10s %10s\n", "threads", "image", "reps", "median ms", "p99 ms", "max ms");
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    for (int side : {64, 1024}) {
      std::vector<uint8_t> rgb(static_cast<size_t>(side) * side * 3);
      for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>((i * 2654435761u) >> 24);
      std::vector<ModerationSignal> signals;
      const auto run = [&] {
        signals.clear();
        if (!(*checker)->Check(pool, rgb.data(), side, side, heads, &signals).ok()) std::abort();
      };
      const std::vector<double> ms = bench::TimeSortedMs(reps, 3, run);
      char image[16];
      std::snprintf(image, sizeof(image), "%dx%d", side, side);
      std::printf("%-8d %-10s %6d %10.2f %10.2f %10.2f\n", threads, image, reps, bench::Median(ms), bench::P99(ms),
                  ms.back());
    }
  }
  return 0;
}

}  // namespace
}  // namespace kiln

int main(int argc, char** argv) { return kiln::Main(argc, argv); }
