// Throughput of the MiniLM-L6 sentence embedder (models/minilm-l6-v2:
// all-MiniLM-L6-v2, 6 layers, 384 wide) end to end: WordPiece tokenisation,
// the BERT encoder, mean pooling and normalisation, at batch 1 and 16, with 1
// and 2 threads: sentences/s from the median wall time of the repeats. The
// sentences are prompt-like, 8 to 30 tokens.
//
// Usage: minilm_bench [--model DIR] [--reps N]   (default models/minilm-l6-v2, 9)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "kiln/base/flags.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/bert/sentence_embedder.h"

namespace kiln {
namespace {

const std::vector<std::string>& Prompts() {
  static const std::vector<std::string> prompts = {
      "A photo of a cat sitting on a red sofa.",
      "An astronaut riding a horse on the moon, digital art",
      "a watercolor painting of a lighthouse at dawn, soft light, pastel colours",
      "Portrait of an old fisherman with a grey beard, dramatic lighting, 85mm lens, high detail",
      "a bowl of ramen",
      "Café terrace at night in the style of Van Gogh, cobblestones, stars",
      "isometric pixel art of a tiny island with palm trees and a treasure chest",
      "a child playing in the park with a red balloon",
      "Futuristic city skyline at sunset, flying cars, neon signs, cinematic, ultra wide",
      "close-up of a dew drop on a leaf",
      "A medieval castle on a cliff above a stormy sea, oil painting",
      "two dogs running on the beach",
      "logo of a coffee shop called 'The Daily Grind', minimalist, vector",
      "an isometric diagram of a data centre with servers and cooling pipes",
      "Snow-covered mountains reflected in a still lake, golden hour",
      "a robot reading a book in a library, warm light, detailed",
  };
  return prompts;
}

int Main(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {{"model", false, "model directory (default models/minilm-l6-v2)"},
                                       {"reps", false, "timed repetitions per row (default 9)"}};
  StatusOr<Flags> flags = Flags::Parse(argc, argv, specs);
  StatusOr<int64_t> reps_flag = flags.ok() ? flags->GetInt("reps", 9, 1, 1000) : flags.status();
  if (!reps_flag.ok()) {
    std::fprintf(stderr, "minilm_bench: %s\n%s", reps_flag.status().message().c_str(), Flags::Usage(specs).c_str());
    return 2;
  }
  const std::string model_dir = flags->GetString("model", "models/minilm-l6-v2");
  const int reps = static_cast<int>(*reps_flag);
  auto embedder = SentenceEmbedder::Load(model_dir);
  if (!embedder.ok()) {
    std::fprintf(stderr, "minilm_bench: %s\n", embedder.status().ToString().c_str());
    return 1;
  }
  const std::vector<std::string>& prompts = Prompts();
  std::vector<float> out(prompts.size() * static_cast<size_t>((*embedder)->dim()));

  std::printf("%-8s %-8s %12s %12s %12s\n", "threads", "batch", "median ms", "best ms", "sentences/s");
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    SentenceEmbedderWorkspace ws;
    for (size_t batch : {size_t{1}, prompts.size()}) {
      // Batch 1 embeds every prompt one by one; batch 16 all at once.
      const auto run = [&] {
        for (size_t first = 0; first < prompts.size(); first += batch) {
          const std::vector<std::string> texts(prompts.begin() + static_cast<std::ptrdiff_t>(first),
                                                prompts.begin() + static_cast<std::ptrdiff_t>(first + batch));
          (*embedder)->Embed(pool, texts, out.data() + first * static_cast<size_t>((*embedder)->dim()), ws);
        }
      };
      run();  // warm: buffers sized, caches filled
      std::vector<double> ms;
      for (int r = 0; r < reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        run();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
      std::sort(ms.begin(), ms.end());
      const double median = ms[ms.size() / 2];
      std::printf("%-8d %-8zu %12.2f %12.2f %12.1f\n", threads, batch, median, ms.front(),
                  static_cast<double>(prompts.size()) * 1000.0 / median);
    }
  }
  return 0;
}

}  // namespace
}  // namespace kiln

int main(int argc, char** argv) { return kiln::Main(argc, argv); }
