// Throughput of the MiniLM-L6 sentence embedder (models/minilm-l6-v2:
// all-MiniLM-L6-v2, 6 layers, 384 wide) end to end: WordPiece tokenisation,
// the BERT encoder, mean pooling and normalisation, at batch 1 and 16, with 1
// and 2 threads: sentences/s from the median wall time of the repeats. The
// sentences are image-generation prompts of 5 to 60 tokens. Each row times
// Embed (packed: real tokens only) against EmbedPadded (the path before
// packing) interleaved in the same process, and prints their ratio.
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

// Image-generation prompts as users write them: a few words up to long
// comma-separated lists of style tags (5 to 60 tokens with [CLS] and [SEP]).
const std::vector<std::string>& Prompts() {
  static const std::vector<std::string> prompts = {
      "a bowl of ramen",
      "two dogs running on the beach",
      "A photo of a cat sitting on a red sofa.",
      "An astronaut riding a horse on the moon, digital art",
      "close-up of a dew drop on a leaf, macro photography, bokeh",
      "Café terrace at night in the style of Van Gogh, cobblestones, stars, thick brush strokes",
      "Portrait of an old fisherman with a grey beard, dramatic lighting, 85mm lens, high detail, "
      "weathered skin, shallow depth of field",
      "isometric pixel art of a tiny island with palm trees and a treasure chest, 16-bit, vibrant colours",
      "logo of a coffee shop called 'The Daily Grind', minimalist, vector, flat design, brown and cream",
      "Futuristic city skyline at sunset, flying cars, neon signs, cinematic, ultra wide, volumetric fog, "
      "reflections on wet streets, blade runner vibes, 8k, trending on artstation",
      "a watercolor painting of a lighthouse at dawn, soft light, pastel colours",
      "masterpiece, best quality, highly detailed digital painting of a female knight in ornate silver armor "
      "standing in a burning village at night, embers floating in the air, dramatic rim lighting, intricate "
      "engravings, cinematic composition, by greg rutkowski and alphonse mucha, sharp focus, 4k",
      "Snow-covered mountains reflected in a still lake, golden hour",
      "a cozy reading nook with a large window, rain outside, a cat sleeping on a knitted blanket, warm lamp "
      "light, stacks of old books, plants on the shelves, interior design photography",
      "a robot reading a book in a library, warm light, detailed",
      "product shot of a perfume bottle on black marble, studio lighting, water splashes, commercial "
      "photography, hyperrealistic, octane render",
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

  {
    WordPieceBatch tokens;
    (*embedder)->tokenizer().EncodeBatch(prompts, (*embedder)->max_seq_length(), &tokens);
    int64_t real = 0, shortest = tokens.seq_len;
    for (int64_t b = 0; b < tokens.batch; ++b) {
      int64_t len = 0;
      for (int64_t t = 0; t < tokens.seq_len; ++t) len += tokens.attention_mask[b * tokens.seq_len + t] != 0;
      real += len;
      shortest = std::min(shortest, len);
    }
    std::printf("%zu prompts, %lld to %lld tokens with [CLS]/[SEP], %lld in all (%.1f mean)\n", prompts.size(),
                static_cast<long long>(shortest), static_cast<long long>(tokens.seq_len),
                static_cast<long long>(real), static_cast<double>(real) / static_cast<double>(prompts.size()));
  }
  std::printf("padded: Embed before packing (EmbedPadded, batch padded to its longest); packed: Embed now.\n");
  std::printf("The two run interleaved (padded, packed, padded, ...) in this process.\n\n");
  std::printf("%-8s %-6s %14s %14s %14s %14s %8s\n", "threads", "batch", "padded ms", "packed ms", "padded sent/s",
              "packed sent/s", "ratio");
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    SentenceEmbedderWorkspace ws_padded, ws_packed;
    for (size_t batch : {size_t{1}, prompts.size()}) {
      // Batch 1 embeds every prompt one by one; batch 16 all at once.
      const auto run = [&](bool packed) {
        SentenceEmbedderWorkspace& ws = packed ? ws_packed : ws_padded;
        for (size_t first = 0; first < prompts.size(); first += batch) {
          const std::vector<std::string> texts(prompts.begin() + static_cast<std::ptrdiff_t>(first),
                                                prompts.begin() + static_cast<std::ptrdiff_t>(first + batch));
          float* y = out.data() + first * static_cast<size_t>((*embedder)->dim());
          if (packed) {
            (*embedder)->Embed(pool, texts, y, ws);
          } else {
            (*embedder)->EmbedPadded(pool, texts, y, ws);
          }
        }
      };
      run(false);  // warm: buffers sized, caches filled
      run(true);
      std::vector<double> ms[2];
      for (int r = 0; r < reps; ++r) {
        for (int packed : {0, 1}) {
          const auto t0 = std::chrono::steady_clock::now();
          run(packed != 0);
          ms[packed].push_back(
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
      }
      double median[2];
      for (int i : {0, 1}) {
        std::sort(ms[i].begin(), ms[i].end());
        median[i] = ms[i][ms[i].size() / 2];
      }
      const double n = static_cast<double>(prompts.size());
      std::printf("%-8d %-6zu %14.2f %14.2f %14.1f %14.1f %7.2fx\n", threads, batch, median[0], median[1],
                  n * 1000.0 / median[0], n * 1000.0 / median[1], median[0] / median[1]);
    }
  }
  return 0;
}

}  // namespace
}  // namespace kiln

int main(int argc, char** argv) { return kiln::Main(argc, argv); }
