// kiln check-golden DIR: runs one golden case folder through the engine and
// compares every output with its reference: a flux case (io.safetensors with
// a case_spec) or the NSFW classifier's folder (golden.safetensors; nsfw_golden.h).
#include <cstdio>
#include <string>
#include <vector>

#include "kiln/app/commands.h"
#include "kiln/base/flags.h"
#include "kiln/app/golden_case.h"
#include "kiln/app/golden_report.h"
#include "kiln/app/nsfw_golden.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/autoencoder/autoencoder.h"
#include "kiln/models/flux/flux_transformer.h"
#include "kiln/pipeline/flow_sampler.h"
#include "kiln/pipeline/flow_schedule.h"
#include "kiln/pipeline/latent_packing.h"

namespace kiln {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"threads", false, "compute threads (default: all CPUs)"},
    {"model", false, "nsfw golden: the classifier's directory (default models/nsfw-mobilenet-v2)"},
    {"intermediates", true, "also compare intermediates.safetensors, when present (informational)"},
    {"help", true, "show this help"},
};

StatusOr<std::unique_ptr<FluxTransformer>> LoadFlux(const GoldenCase& c, const SafetensorsFile& weights) {
  const std::string json = c.ConfigJson(weights);
  FluxConfig config;
  if (!json.empty()) {
    KILN_ASSIGN_OR_RETURN(config, FluxConfig::FromJson(json));
  } else {
    KILN_ASSIGN_OR_RETURN(config, FluxConfig::InferFromWeights(weights, FluxConfig{}));
  }
  return FluxTransformer::Load(weights, config);
}

// The conditioning tensors shared by the forward and sampling cases.
struct FluxCaseInputs {
  Tensor img_ids, txt, txt_ids, y, guidance;
  FluxInputs inputs;
};

StatusOr<FluxCaseInputs> ReadFluxInputs(const GoldenCase& c, const FluxTransformer& model) {
  FluxCaseInputs f;
  KILN_ASSIGN_OR_RETURN(f.img_ids, c.Get("img_ids"));
  KILN_ASSIGN_OR_RETURN(f.txt, c.Get("txt"));
  KILN_ASSIGN_OR_RETURN(f.txt_ids, c.Get("txt_ids"));
  KILN_ASSIGN_OR_RETURN(f.y, c.Get("y"));
  if (model.config().guidance_embed && c.io->Contains("guidance")) {
    KILN_ASSIGN_OR_RETURN(f.guidance, c.Get("guidance"));
  }
  if (f.img_ids.rank() != 3 || f.txt.rank() != 3) {
    return Status::InvalidArgument(c.dir + ": img_ids and txt must be 3-d");
  }
  f.inputs.batch = f.img_ids.dim(0);
  f.inputs.img_tokens = f.img_ids.dim(1);
  f.inputs.txt_tokens = f.txt.dim(1);
  f.inputs.img_ids = f.img_ids.f32();
  f.inputs.txt = f.txt.f32();
  f.inputs.txt_ids = f.txt_ids.f32();
  f.inputs.y = f.y.f32();
  f.inputs.guidance = f.guidance.empty() ? nullptr : f.guidance.f32();
  return f;
}

void CompareRef(const GoldenCase& c, GoldenReport& report, const std::string& name, const float* out, int64_t n) {
  auto ref = c.Get(name);
  if (!ref.ok()) {
    report.Fail(name, ref.status().message());
    return;
  }
  report.Compare(name, out, n, *ref);
}

// The golden latent grid: case_spec.latent_hw = [height, width] of the unpacked latent.
void LatentHw(const GoldenCase& c, int64_t* h, int64_t* w) {
  *h = c.spec["latent_hw"][0].get<int64_t>();
  *w = c.spec["latent_hw"][1].get<int64_t>();
}

FluxTraceFn IntermediatesTrace(const GoldenCase& c, GoldenReport& report, const SafetensorsFile* inter) {
  if (inter == nullptr) return nullptr;
  return [&report, inter](std::string_view name, const float* data, const Shape& shape) {
    const std::string key(name);
    if (!inter->Contains(key)) return;
    auto ref = inter->GetF32(key);
    if (ref.ok()) report.Compare("  " + key, data, ShapeNumel(shape), *ref, /*gating=*/false);
  };
}

Status RunFluxForward(const GoldenCase& c, ThreadPool& pool, GoldenReport& report, bool intermediates) {
  KILN_ASSIGN_OR_RETURN(auto weights, c.OpenWeights());
  KILN_ASSIGN_OR_RETURN(auto model, LoadFlux(c, *weights));
  KILN_ASSIGN_OR_RETURN(FluxCaseInputs f, ReadFluxInputs(c, *model));
  KILN_ASSIGN_OR_RETURN(Tensor img, c.Get("img"));
  KILN_ASSIGN_OR_RETURN(Tensor timesteps, c.Get("timesteps"));
  f.inputs.img = img.f32();
  f.inputs.timesteps = timesteps.f32();
  KILN_RETURN_IF_ERROR(model->ValidateInputs(f.inputs));

  std::unique_ptr<SafetensorsFile> inter;
  if (intermediates) {
    auto opened = SafetensorsFile::Open(c.dir + "/intermediates.safetensors");
    if (opened.ok()) inter = std::move(opened).value();
  }
  const FluxConfig& cfg = model->config();
  Tensor out = Tensor::Empty(DType::kF32, {f.inputs.batch, f.inputs.img_tokens, cfg.out_channels});
  FluxWorkspace ws;
  model->Forward(pool, f.inputs, out.f32(), ws, IntermediatesTrace(c, report, inter.get()));
  CompareRef(c, report, "out", out.f32(), out.numel());

  if (c.io->Contains("out_unpacked") && c.spec.contains("latent_hw")) {
    int64_t h, w;
    LatentHw(c, &h, &w);
    const int64_t channels = cfg.out_channels / 4;
    Tensor unpacked = Tensor::Empty(DType::kF32, {f.inputs.batch, channels, h, w});
    UnpackLatents(unpacked.f32(), out.f32(), f.inputs.batch, channels, h, w);
    CompareRef(c, report, "out_unpacked", unpacked.f32(), unpacked.numel());
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<Autoencoder>> LoadAutoencoder(const GoldenCase& c,
                                                       std::unique_ptr<SafetensorsFile>* weights) {
  KILN_ASSIGN_OR_RETURN(*weights, c.OpenWeights());
  const std::string json = c.ConfigJson(**weights);
  KILN_ASSIGN_OR_RETURN(AutoencoderConfig config, AutoencoderConfig::FromJson(json.empty() ? "{}" : json));
  return Autoencoder::Load(**weights, config);
}

Status RunFluxSampling(const GoldenCase& c, ThreadPool& pool, GoldenReport& report) {
  KILN_ASSIGN_OR_RETURN(auto weights, c.OpenWeights());
  KILN_ASSIGN_OR_RETURN(auto model, LoadFlux(c, *weights));
  KILN_ASSIGN_OR_RETURN(FluxCaseInputs f, ReadFluxInputs(c, *model));
  KILN_ASSIGN_OR_RETURN(Tensor noise, c.Get("noise"));
  if (noise.rank() != 4) return Status::InvalidArgument(c.dir + ": noise must be (batch, channels, h, w)");
  const int64_t b = noise.dim(0), channels = noise.dim(1), h = noise.dim(2), w = noise.dim(3);

  // x starts as the packed noise; the case's packed 'img' must agree with our packing.
  Tensor x = Tensor::Empty(DType::kF32, {b, (h / 2) * (w / 2), channels * 4});
  PackLatents(x.f32(), noise.f32(), b, channels, h, w);
  CompareRef(c, report, "img", x.f32(), x.numel());

  const int steps = c.spec.value("num_steps", 0);
  FlowScheduleOptions options;
  options.shift = c.spec.value("shift", true);
  const std::vector<float> schedule = FlowSchedule(steps, x.dim(1), options);
  CompareRef(c, report, "schedule", schedule.data(), static_cast<int64_t>(schedule.size()));

  // null for models without a guidance embedding ([schnell]-type).
  const float guidance = c.spec.contains("guidance") && c.spec["guidance"].is_number()
                             ? c.spec["guidance"].get<float>()
                             : 3.5f;
  FlowSampler sampler(*model);
  KILN_RETURN_IF_ERROR(sampler.Denoise(pool, f.inputs, x.f32(), schedule, guidance, [&](const FlowStep& s) {
    char prefix[16];
    std::snprintf(prefix, sizeof(prefix), "step%02d.", s.index);
    const int64_t n = x.numel();
    CompareRef(c, report, std::string(prefix) + "x", s.x, n);
    CompareRef(c, report, std::string(prefix) + "t", s.t, b);
    CompareRef(c, report, std::string(prefix) + "pred", s.pred, n);
    return Status::Ok();
  }));
  CompareRef(c, report, "final", x.f32(), x.numel());
  Tensor latent = Tensor::Empty(DType::kF32, {b, channels, h, w});
  UnpackLatents(latent.f32(), x.f32(), b, channels, h, w);
  CompareRef(c, report, "final_unpacked", latent.f32(), latent.numel());

  if (c.spec.contains("ae_case") && c.io->Contains("decoded")) {
    const std::string ae_dir = c.dir + "/../" + c.spec["ae_case"].get<std::string>();
    KILN_ASSIGN_OR_RETURN(GoldenCase ae_case, GoldenCase::Open(ae_dir));
    std::unique_ptr<SafetensorsFile> ae_weights;
    KILN_ASSIGN_OR_RETURN(auto ae, LoadAutoencoder(ae_case, &ae_weights));
    const Tensor decoded = ae->Decode(pool, latent);
    CompareRef(c, report, "decoded", decoded.f32(), decoded.numel());
  }
  return Status::Ok();
}

Status RunAutoencoder(const GoldenCase& c, ThreadPool& pool, GoldenReport& report) {
  std::unique_ptr<SafetensorsFile> weights;
  KILN_ASSIGN_OR_RETURN(auto ae, LoadAutoencoder(c, &weights));
  KILN_ASSIGN_OR_RETURN(Tensor image, c.Get("image"));
  const Tensor moments = ae->EncodeMoments(pool, image);
  CompareRef(c, report, "encoder_moments", moments.f32(), moments.numel());
  const Tensor mode = ae->Encode(pool, image);
  CompareRef(c, report, "latent_mode", mode.f32(), mode.numel());
  if (c.io->Contains("sample_noise")) {
    KILN_ASSIGN_OR_RETURN(Tensor noise, c.Get("sample_noise"));
    const Tensor sampled = ae->EncodeSampled(pool, image, noise);
    CompareRef(c, report, "latent_sampled", sampled.f32(), sampled.numel());
  }
  if (c.io->Contains("decode_input")) {
    KILN_ASSIGN_OR_RETURN(Tensor z, c.Get("decode_input"));
    const Tensor decoded = ae->Decode(pool, z);
    CompareRef(c, report, "decoded", decoded.f32(), decoded.numel());
  }
  const Tensor round_trip = ae->Decode(pool, mode);
  CompareRef(c, report, "forward_out", round_trip.f32(), round_trip.numel());
  return Status::Ok();
}

// The nsfw folder has no case_spec: its own runner, absolute tolerance.
int CheckNsfwGolden(const std::string& dir, const std::string& model_dir, ThreadPool& pool) {
  std::printf("case %s (nsfw classifier, model %s)\n", dir.c_str(), model_dir.c_str());
  GoldenBounds bounds;
  bounds.max_abs = kNsfwGoldenMaxAbs;
  GoldenReport report(bounds);
  const Status status = RunNsfwGolden(dir, model_dir, pool, report);
  if (!status.ok()) {
    std::fprintf(stderr, "kiln check-golden: %s\n", status.message().c_str());
    return 2;
  }
  std::printf("%s: %d tensors compared (max abs <= %.0e), %s\n", dir.c_str(), report.compared(), kNsfwGoldenMaxAbs,
              report.passed() ? "PASS" : "FAIL");
  return report.passed() ? 0 : 1;
}

}  // namespace

int CheckGoldenCommand(int argc, char** argv) {
  auto flags = Flags::Parse(argc, argv, kFlags);
  if (!flags.ok() || flags->Has("help") || flags->positional().size() != 1) {
    if (!flags.ok()) std::fprintf(stderr, "kiln check-golden: %s\n", flags.status().message().c_str());
    std::fprintf(stderr, "usage: kiln check-golden DIR [options]\n\n%s", Flags::Usage(kFlags).c_str());
    return flags.ok() && flags->Has("help") ? 0 : 2;
  }
  auto threads = flags->GetInt("threads", 0, 0, 1024);
  if (!threads.ok()) {
    std::fprintf(stderr, "kiln check-golden: %s\n", threads.status().message().c_str());
    return 2;
  }
  if (*threads > 0) ThreadPool::SetDefaultThreads(static_cast<int>(*threads));
  ThreadPool& pool = ThreadPool::Default();

  const std::string dir = flags->positional()[0];
  if (IsNsfwGoldenDir(dir)) return CheckNsfwGolden(dir, flags->GetString("model", "models/nsfw-mobilenet-v2"), pool);
  auto c = GoldenCase::Open(dir);
  if (!c.ok()) {
    std::fprintf(stderr, "kiln check-golden: %s\n", c.status().message().c_str());
    return 2;
  }
  std::printf("case %s (kind %s)\n", dir.c_str(), c->kind.c_str());
  GoldenReport report;
  Status status;
  try {  // case_spec fields of the wrong JSON type throw inside the runners
    if (c->kind == "flux_forward") {
      status = RunFluxForward(*c, pool, report, flags->Has("intermediates"));
    } else if (c->kind == "flux_sampling") {
      status = RunFluxSampling(*c, pool, report);
    } else if (c->kind == "autoencoder") {
      status = RunAutoencoder(*c, pool, report);
    } else {
      status = Status::InvalidArgument("unknown case kind '" + c->kind +
                                       "' (known: flux_forward, flux_sampling, autoencoder)");
    }
  } catch (const nlohmann::json::exception& e) {
    status = Status::InvalidArgument(dir + ": case_spec: " + e.what());
  }
  if (!status.ok()) {
    std::fprintf(stderr, "kiln check-golden: %s\n", status.message().c_str());
    return 2;
  }
  if (report.compared() == 0) {
    std::fprintf(stderr, "kiln check-golden: nothing was compared\n");
    return 1;
  }
  std::printf("%s: %d tensors compared, %s\n", dir.c_str(), report.compared(), report.passed() ? "PASS" : "FAIL");
  return report.passed() ? 0 : 1;
}

}  // namespace kiln
