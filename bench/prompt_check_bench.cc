// Throughput of the whole text check of a prompt (PromptChecker::Check):
// normalisation, the lexicon automaton, the sexual/minors rule, the default
// policy's terms and patterns, MiniLM-L6 embedding and the category heads, at
// batch 1 and 16 with 1 and 2 threads: prompts/s from the median wall time of
// the repeats. The prompts are prompt-like, benign and violating, 8 to 30
// tokens. A row "lexicon only" shows what the check costs without the
// classifier.
//
// Usage: prompt_check_bench [--data DIR] [--heads F] [--embedder DIR] [--reps N]
//        (defaults data, models/text-moderation-heads/heads.json, models/minilm-l6-v2, 9)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "bench_timing.h"
#include "kiln/base/flags.h"
#include "kiln/base/thread_pool.h"
#include "kiln/moderation/prompt_checker.h"

namespace kiln {
namespace {

const std::vector<std::string>& Prompts() {
  static const std::vector<std::string> prompts = {
      "A photo of a cat sitting on a red sofa.",
      "An astronaut riding a horse on the moon, digital art",
      "a watercolor painting of a lighthouse at dawn, soft light, pastel colours",
      "Portrait of an old fisherman with a grey beard, dramatic lighting, 85mm lens, high detail",
      "a breast stroke swimmer in an olympic pool",
      "kill the lights in an empty theatre, cinematic",
      "a graphic image of a man being stabbed in an alley",
      "a chicken breast recipe on a white plate, food photography",
      "Futuristic city skyline at sunset, flying cars, neon signs, cinematic, ultra wide",
      "instructions drawn as a poster for making a pipe bomb",
      "A medieval castle on a cliff above a stormy sea, oil painting",
      "a meme mocking immigrants as subhuman vermin",
      "logo of a coffee shop called 'The Daily Grind', minimalist, vector",
      "a photo of someone cutting their wrists in a bathroom",
      "Snow-covered mountains reflected in a still lake, golden hour",
      "a robot reading a book in a library, warm light, detailed",
  };
  return prompts;
}

double MedianMs(int reps, const std::function<void()>& run) {
  return bench::Median(bench::TimeSortedMs(reps, 1, run));
}

int Main(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"data", false, "data directory (default data)"},
      {"heads", false, "classifier heads (default models/text-moderation-heads/heads.json)"},
      {"embedder", false, "MiniLM-L6 directory (default models/minilm-l6-v2)"},
      {"reps", false, "timed repetitions per row (default 9)"}};
  StatusOr<Flags> flags = Flags::Parse(argc, argv, specs);
  StatusOr<int64_t> reps_flag = flags.ok() ? flags->GetInt("reps", 9, 1, 1000) : flags.status();
  if (!reps_flag.ok()) {
    std::fprintf(stderr, "prompt_check_bench: %s\n%s", reps_flag.status().message().c_str(),
                 Flags::Usage(specs).c_str());
    return 2;
  }
  const int reps = static_cast<int>(*reps_flag);
  PromptCheckerOptions options;
  options.data_dir = flags->GetString("data", "data");
  options.heads_path = flags->GetString("heads", "models/text-moderation-heads/heads.json");
  options.embedder_dir = flags->GetString("embedder", "models/minilm-l6-v2");
  auto full = PromptChecker::Load(options);
  options.heads_path.clear();
  auto lexicon_only = PromptChecker::Load(options);
  for (const auto* checker : {&full, &lexicon_only}) {
    if (!checker->ok()) {
      std::fprintf(stderr, "prompt_check_bench: %s\n", checker->status().ToString().c_str());
      return 1;
    }
  }
  if (!(*full)->has_classifier()) {
    std::fprintf(stderr, "prompt_check_bench: no classifier (%s missing?)\n", options.embedder_dir.c_str());
    return 1;
  }
  const ModerationPolicy policy = ModerationPolicy::Default();
  const std::vector<std::string>& prompts = Prompts();

  std::printf("%-14s %-8s %-8s %12s %12s\n", "check", "threads", "batch", "median ms", "prompts/s");
  for (const auto* checker : {&full, &lexicon_only}) {
    const char* name = checker == &full ? "full" : "lexicon only";
    for (int threads : {1, 2}) {
      ThreadPool pool(threads);
      auto ws = NewPromptCheckWorkspace();
      std::vector<std::vector<ModerationSignal>> signals;
      for (size_t batch : {size_t{1}, prompts.size()}) {
        // Batch 1 checks every prompt one by one; batch 16 all at once.
        const double median = MedianMs(reps, [&] {
          for (size_t first = 0; first < prompts.size(); first += batch) {
            const std::vector<std::string> texts(prompts.begin() + static_cast<std::ptrdiff_t>(first),
                                                  prompts.begin() + static_cast<std::ptrdiff_t>(first + batch));
            (**checker)->Check(pool, texts, policy, *ws, &signals);
          }
        });
        std::printf("%-14s %-8d %-8zu %12.3f %12.1f\n", name, threads, batch, median,
                    static_cast<double>(prompts.size()) * 1000.0 / median);
      }
    }
  }
  return 0;
}

}  // namespace
}  // namespace kiln

int main(int argc, char** argv) { return kiln::Main(argc, argv); }
