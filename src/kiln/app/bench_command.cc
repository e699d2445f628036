// kiln bench flux: times transformer forwards of any config on random
// weights and reports the median step time, the achieved GFLOP/s and the
// fraction of this machine's measured GEMM peak.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "kiln/app/commands.h"
#include "kiln/base/flags.h"
#include "kiln/base/file_util.h"
#include "kiln/base/thread_pool.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/kernels/cpu/matmul.h"
#include "kiln/models/flux/flux_transformer.h"
#include "kiln/models/flux/flux_weight_shapes.h"
#include "kiln/pipeline/latent_packing.h"

namespace kiln {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"config", false, "FluxParams JSON file (required)"},
    {"weights", false, "checkpoint to load (default: random weights of the config)"},
    {"img-tokens", false, "image tokens per sample (default 256)"},
    {"txt-tokens", false, "text tokens per sample (default 64)"},
    {"batch", false, "batch size (default 1)"},
    {"threads", false, "compute threads (default: all CPUs)"},
    {"repeats", false, "timed forwards after one warm-up (default 7)"},
    {"seed", false, "seed of the random weights and inputs (default 0)"},
    {"json", true, "end with one JSON line of the figures"},
    {"help", true, "show this help"},
};

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::vector<float> RandomVector(std::mt19937& rng, int64_t n, float bound) {
  std::uniform_real_distribution<float> dist(-bound, bound);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// Random weights of the config, initialised like torch.nn.Linear (U(±1/√fan_in)).
StatusOr<std::unique_ptr<SafetensorsFile>> RandomCheckpoint(const FluxConfig& config, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& [name, shape] : FluxWeightShapes(config)) {
    const bool is_scale = name.find("norm.") != std::string::npos;
    const float bound = 1.0f / std::sqrt(static_cast<float>(shape.size() == 2 ? shape[1] : shape[0]));
    std::vector<float> values = is_scale ? std::vector<float>(static_cast<size_t>(ShapeNumel(shape)), 1.0f)
                                         : RandomVector(rng, ShapeNumel(shape), bound);
    tensors.emplace_back(name, Tensor::FromVector(shape, values));
  }
  char path[] = "/tmp/kiln-bench-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return Status::IOError("cannot create a temporary file for the random weights");
  close(fd);
  KILN_RETURN_IF_ERROR(WriteSafetensors(path, tensors, {{"config", config.ToJson()}}));
  auto file = SafetensorsFile::Open(path);
  unlink(path);  // the mapping stays valid
  return file;
}

// GFLOP/s of a large square GEMM through the same kernel and pool: the
// practical peak of this machine.
double MeasureGemmPeak(ThreadPool& pool) {
  constexpr int64_t n = 1536;
  std::mt19937 rng(1);
  const std::vector<float> a = RandomVector(rng, n * n, 1.0f), b = RandomVector(rng, n * n, 1.0f);
  std::vector<float> c(static_cast<size_t>(n * n));
  std::vector<double> times;
  for (int i = 0; i < 4; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    cpu::Gemm(pool, false, true, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    const auto t1 = std::chrono::steady_clock::now();
    if (i > 0) times.push_back(Seconds(t0, t1));
  }
  return 2.0 * n * n * n / Median(times) / 1e9;
}

int Fail(const Status& status) {
  std::fprintf(stderr, "kiln bench flux: %s\n", status.message().c_str());
  return 2;
}

int BenchFlux(int argc, char** argv) {
  auto flags = Flags::Parse(argc, argv, kFlags);
  if (!flags.ok()) return Fail(flags.status());
  if (flags->Has("help")) {
    std::printf("usage: kiln bench flux --config FILE [options]\n\n%s", Flags::Usage(kFlags).c_str());
    return 0;
  }
  auto config_path = flags->GetString("config");
  if (!config_path.ok()) return Fail(config_path.status());
  auto img_tokens = flags->GetInt("img-tokens", 256, 1, 1 << 20);
  auto txt_tokens = flags->GetInt("txt-tokens", 64, 0, 1 << 20);
  auto batch = flags->GetInt("batch", 1, 1, 4096);
  auto threads = flags->GetInt("threads", 0, 0, 1024);
  auto repeats = flags->GetInt("repeats", 7, 1, 100000);
  auto seed = flags->GetUint64("seed", 0);
  for (const Status& s : {img_tokens.status(), txt_tokens.status(), batch.status(), threads.status(),
                          repeats.status(), seed.status()}) {
    if (!s.ok()) return Fail(s);
  }
  if (*threads > 0) ThreadPool::SetDefaultThreads(static_cast<int>(*threads));
  ThreadPool& pool = ThreadPool::Default();

  auto text = ReadFileToString(*config_path);
  if (!text.ok()) return Fail(text.status().WithContext("--config"));
  auto config = FluxConfig::FromJson(*text);
  if (!config.ok()) return Fail(config.status().WithContext("--config " + *config_path));
  auto file = flags->Has("weights") ? SafetensorsFile::Open(flags->GetString("weights", ""))
                                    : RandomCheckpoint(*config, *seed);
  if (!file.ok()) return Fail(file.status());
  auto model = FluxTransformer::Load(**file, *config);
  if (!model.ok()) return Fail(model.status());

  // Inputs as flux.sampling.prepare makes them for a latent grid of img_tokens tokens.
  const int64_t b = *batch, l = *img_tokens, t = *txt_tokens;
  int64_t rows = static_cast<int64_t>(std::sqrt(static_cast<double>(l)));
  while (l % rows != 0) --rows;
  std::mt19937 rng(static_cast<uint32_t>(*seed) + 1);
  const std::vector<float> img = RandomVector(rng, b * l * config->in_channels, 1.0f);
  const std::vector<float> txt = RandomVector(rng, b * t * config->context_in_dim, 1.0f);
  const std::vector<float> y = RandomVector(rng, b * config->vec_in_dim, 1.0f);
  std::vector<float> img_ids(static_cast<size_t>(b * l * 3)), txt_ids(static_cast<size_t>(b * t * 3), 0.0f);
  MakeImageIds(img_ids.data(), b, 2 * rows, 2 * (l / rows));
  const std::vector<float> timesteps(static_cast<size_t>(b), 0.5f), guidance(static_cast<size_t>(b), 3.5f);
  FluxInputs in;
  in.img = img.data();
  in.img_ids = img_ids.data();
  in.txt = txt.data();
  in.txt_ids = txt_ids.data();
  in.y = y.data();
  in.timesteps = timesteps.data();
  in.guidance = guidance.data();
  in.batch = b;
  in.img_tokens = l;
  in.txt_tokens = t;
  if (Status s = (*model)->ValidateInputs(in); !s.ok()) return Fail(s);

  std::vector<float> out(static_cast<size_t>(b * l * config->out_channels));
  FluxWorkspace ws;
  (*model)->Forward(pool, in, out.data(), ws);  // warm-up: sizes the workspace, faults pages in
  std::vector<double> times;
  for (int64_t i = 0; i < *repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    (*model)->Forward(pool, in, out.data(), ws);
    times.push_back(Seconds(t0, std::chrono::steady_clock::now()));
  }
  const double median_s = Median(times);
  const double flops = (*model)->ForwardFlops(b, l, t);
  const double gflops = flops / median_s / 1e9;
  const double peak = MeasureGemmPeak(pool);
  std::printf("flux forward: batch %lld, %lld image + %lld text tokens, hidden %lld, %lld+%lld blocks, %d threads\n",
              static_cast<long long>(b), static_cast<long long>(l), static_cast<long long>(t),
              static_cast<long long>(config->hidden_size), static_cast<long long>(config->depth),
              static_cast<long long>(config->depth_single_blocks), pool.num_threads());
  std::printf("  median step   %.2f ms  (min %.2f, max %.2f over %zu)\n", median_s * 1e3,
              *std::min_element(times.begin(), times.end()) * 1e3,
              *std::max_element(times.begin(), times.end()) * 1e3, times.size());
  std::printf("  work          %.3f GFLOP per forward (linear + attention)\n", flops / 1e9);
  std::printf("  achieved      %.1f GFLOP/s\n", gflops);
  std::printf("  GEMM peak     %.1f GFLOP/s (1536^3 sgemm, same pool)\n", peak);
  std::printf("  fraction      %.1f%% of peak\n", 100.0 * gflops / peak);
  if (flags->Has("json")) {
    std::printf("{\"median_ms\": %.4f, \"gflops\": %.3f, \"peak_gflops\": %.3f, \"peak_fraction\": %.4f, "
                "\"flops\": %.0f, \"threads\": %d, \"batch\": %lld}\n",
                median_s * 1e3, gflops, peak, gflops / peak, flops, pool.num_threads(), static_cast<long long>(b));
  }
  return 0;
}

}  // namespace

int BenchCommand(int argc, char** argv) {
  if (argc >= 1 && std::string(argv[0]) == "flux") return BenchFlux(argc - 1, argv + 1);
  std::fprintf(stderr, "usage: kiln bench flux --config FILE [options]   ('kiln bench flux --help')\n");
  return 2;
}

}  // namespace kiln
