// kiln generate: one image from a prompt with a model directory (kiln.json:
// tokenizer, text encoder, transformer, autoencoder), or from a FLUX.1
// transformer and autoencoder with the text conditioning given as tensors.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "kiln/app/commands.h"
#include "kiln/base/flags.h"
#include "kiln/base/file_util.h"
#include "kiln/base/thread_pool.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/autoencoder/autoencoder.h"
#include "kiln/models/flux/flux_transformer.h"
#include "kiln/pipeline/flux_pipeline.h"
#include "kiln/pipeline/png_writer.h"
#include "kiln/pipeline/text_to_image_model.h"

namespace kiln {
namespace {

constexpr char kDefaultModel[] = "models/kiln-shapes";

const std::vector<FlagSpec> kFlags = {
    {"model", false, "model directory with a kiln.json (default: models/kiln-shapes)"},
    {"prompt", false, "the text to draw (with --model)"},
    {"transformer", false, "FLUX.1 transformer safetensors (official key names)"},
    {"autoencoder", false, "AutoencoderKL safetensors (official key names)"},
    {"transformer-config", false, "FluxParams JSON file (default: the checkpoint's 'config' metadata, "
                                  "else inferred from the weights with FLUX.1's axes_dim and theta)"},
    {"autoencoder-config", false, "AutoEncoderParams JSON file (default: the checkpoint's 'config' "
                                  "metadata, else FLUX.1's)"},
    {"txt", false, "safetensors with the text states: tensor 'txt' (or the only one), (tokens, dim) or (1, tokens, dim)"},
    {"y", false, "safetensors with the pooled vector: tensor 'y' (or the only one), (dim) or (1, dim)"},
    {"steps", false, "denoising steps (default: the model's; tensor mode: 4 without guidance embedding, else 50)"},
    {"seed", false, "noise seed (default 0)"},
    {"width", false, "image width in pixels (default: the model's; tensor mode 1024)"},
    {"height", false, "image height in pixels (default: the model's; tensor mode 1024)"},
    {"guidance", false, "guidance for [dev]-type models (default: the model's; tensor mode 3.5)"},
    {"cfg-scale", false, "classifier-free guidance against the empty prompt, 1 = off (default: the model's; "
                         "--model mode only)"},
    {"threads", false, "compute threads (default: all CPUs)"},
    {"out", false, "output PNG path (required)"},
    {"help", true, "show this help"},
};

// The only tensor of a file, or the one called name; as (1, ...) f32.
StatusOr<Tensor> ReadConditioning(const std::string& flag, const std::string& path, const std::string& name,
                                  int rank) {
  auto file = SafetensorsFile::Open(path);
  if (!file.ok()) return file.status().WithContext("--" + flag);
  const auto& entries = (*file)->entries();
  std::string chosen = name;
  if (!(*file)->Contains(name)) {
    if (entries.size() != 1) {
      return Status::InvalidArgument("--" + flag + " " + path + ": expected a tensor named '" + name +
                                     "' or exactly one tensor");
    }
    chosen = entries[0].name;
  }
  KILN_ASSIGN_OR_RETURN(Tensor t, (*file)->GetF32(chosen));
  t = t.Clone();  // own the bytes: the file closes when we return
  if (t.rank() == rank - 1) {
    Shape shape = t.shape();
    shape.insert(shape.begin(), 1);
    t = t.Reshape(shape);
  }
  if (t.rank() != rank || t.dim(0) != 1) {
    return Status::InvalidArgument("--" + flag + " " + path + ": tensor '" + chosen + "' has shape " +
                                   ShapeToString(t.shape()) + ", expected " + std::to_string(rank - 1) +
                                   " dims (optionally with a leading 1)");
  }
  return t;
}

StatusOr<std::string> ConfigJson(const Flags& flags, const std::string& flag, const SafetensorsFile& file) {
  if (flags.Has(flag)) {
    auto text = ReadFileToString(flags.GetString(flag, ""));
    if (!text.ok()) return text.status().WithContext("--" + flag);
    return *text;
  }
  auto it = file.metadata().find("config");
  return it != file.metadata().end() ? it->second : std::string();
}

// Overrides options with the flags that are set; the rest keep their defaults.
Status ReadOptions(const Flags& flags, GenerateOptions* options, uint64_t* seed) {
  if (flags.Has("steps")) {
    KILN_ASSIGN_OR_RETURN(int64_t steps, flags.GetInt("steps", 0, 1, 1000));
    options->steps = static_cast<int>(steps);
  }
  KILN_ASSIGN_OR_RETURN(options->width, flags.GetInt("width", options->width, 16, 8192));
  KILN_ASSIGN_OR_RETURN(options->height, flags.GetInt("height", options->height, 16, 8192));
  KILN_ASSIGN_OR_RETURN(double guidance, flags.GetDouble("guidance", options->guidance));
  options->guidance = static_cast<float>(guidance);
  KILN_ASSIGN_OR_RETURN(double cfg_scale, flags.GetDouble("cfg-scale", options->cfg_scale));
  options->cfg_scale = static_cast<float>(cfg_scale);
  KILN_ASSIGN_OR_RETURN(*seed, flags.GetUint64("seed", 0));
  KILN_ASSIGN_OR_RETURN(int64_t threads, flags.GetInt("threads", 0, 0, 1024));
  if (threads > 0) ThreadPool::SetDefaultThreads(static_cast<int>(threads));
  return Status::Ok();
}

FlowStepFn PrintProgress() {
  return [](const FlowStep& s) {
    std::fprintf(stderr, "\rstep %d/%d", s.index + 1, s.count);
    return Status::Ok();
  };
}

Status WriteImage(const Tensor& image, const std::string& out_path, uint64_t seed, double seconds) {
  const int64_t height = image.dim(2), width = image.dim(3);
  std::vector<uint8_t> rgb(static_cast<size_t>(height * width * 3));
  ImageTensorToRgb8(image.f32(), height, width, rgb.data());
  KILN_RETURN_IF_ERROR(WritePng(out_path, rgb.data(), static_cast<int>(width), static_cast<int>(height)));
  std::fprintf(stderr, "\rwrote %s (%lldx%lld, seed %llu) in %.2f s\n", out_path.c_str(),
               static_cast<long long>(width), static_cast<long long>(height), static_cast<unsigned long long>(seed),
               seconds);
  return Status::Ok();
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// --model DIR --prompt TEXT
Status RunModel(const Flags& flags) {
  KILN_ASSIGN_OR_RETURN(std::string prompt, flags.GetString("prompt"));
  KILN_ASSIGN_OR_RETURN(std::string out_path, flags.GetString("out"));
  const std::string dir = flags.GetString("model", kDefaultModel);
  auto model = TextToImageModel::Load(dir);
  if (!model.ok()) return model.status().WithContext("--model");
  GenerateOptions options = (*model)->DefaultOptions();
  uint64_t seed = 0;
  KILN_RETURN_IF_ERROR(ReadOptions(flags, &options, &seed));
  const auto start = std::chrono::steady_clock::now();
  KILN_ASSIGN_OR_RETURN(Tensor image,
                        (*model)->Generate(ThreadPool::Default(), {prompt}, {seed}, options, PrintProgress()));
  return WriteImage(image, out_path, seed, SecondsSince(start));
}

// --transformer PATH --autoencoder PATH --txt FILE --y FILE
Status RunTensors(const Flags& flags) {
  KILN_ASSIGN_OR_RETURN(std::string transformer_path, flags.GetString("transformer"));
  KILN_ASSIGN_OR_RETURN(std::string autoencoder_path, flags.GetString("autoencoder"));
  KILN_ASSIGN_OR_RETURN(std::string txt_path, flags.GetString("txt"));
  KILN_ASSIGN_OR_RETURN(std::string y_path, flags.GetString("y"));
  KILN_ASSIGN_OR_RETURN(std::string out_path, flags.GetString("out"));
  GenerateOptions options;
  options.steps = 0;  // the transformer's default
  uint64_t seed = 0;
  KILN_RETURN_IF_ERROR(ReadOptions(flags, &options, &seed));
  ThreadPool& pool = ThreadPool::Default();

  auto transformer_file = SafetensorsFile::Open(transformer_path);
  if (!transformer_file.ok()) return transformer_file.status().WithContext("--transformer");
  KILN_ASSIGN_OR_RETURN(std::string flux_json, ConfigJson(flags, "transformer-config", **transformer_file));
  FluxConfig flux_config;
  if (flux_json.empty()) {
    auto inferred = FluxConfig::InferFromWeights(**transformer_file, FluxConfig{});
    if (!inferred.ok()) return inferred.status().WithContext("--transformer");
    flux_config = *inferred;
  } else {
    auto parsed = FluxConfig::FromJson(flux_json);
    if (!parsed.ok()) return parsed.status().WithContext("--transformer-config");
    flux_config = *parsed;
  }
  auto transformer = FluxTransformer::Load(**transformer_file, flux_config);
  if (!transformer.ok()) return transformer.status().WithContext("--transformer");

  auto autoencoder_file = SafetensorsFile::Open(autoencoder_path);
  if (!autoencoder_file.ok()) return autoencoder_file.status().WithContext("--autoencoder");
  KILN_ASSIGN_OR_RETURN(std::string ae_json, ConfigJson(flags, "autoencoder-config", **autoencoder_file));
  auto ae_config = AutoencoderConfig::FromJson(ae_json.empty() ? "{}" : ae_json);
  if (!ae_config.ok()) return ae_config.status().WithContext("--autoencoder-config");
  auto autoencoder = Autoencoder::Load(**autoencoder_file, *ae_config);
  if (!autoencoder.ok()) return autoencoder.status().WithContext("--autoencoder");

  KILN_ASSIGN_OR_RETURN(Tensor txt, ReadConditioning("txt", txt_path, "txt", 3));
  KILN_ASSIGN_OR_RETURN(Tensor y, ReadConditioning("y", y_path, "y", 2));

  FluxPipeline pipeline(**transformer, **autoencoder);
  const auto start = std::chrono::steady_clock::now();
  KILN_ASSIGN_OR_RETURN(Tensor image, pipeline.Generate(pool, txt, y, {seed}, options, PrintProgress()));
  return WriteImage(image, out_path, seed, SecondsSince(start));
}

}  // namespace

int GenerateCommand(int argc, char** argv) {
  auto flags = Flags::Parse(argc, argv, kFlags);
  if (flags.ok() && flags->Has("help")) {
    std::printf("usage: kiln generate [--model DIR] --prompt TEXT --out out.png [options]\n"
                "       kiln generate --transformer PATH --autoencoder PATH --txt FILE --y FILE --out out.png "
                "[options]\n\n%s", Flags::Usage(kFlags).c_str());
    return 0;
  }
  Status status = flags.status();
  if (flags.ok()) {
    const bool tensor_mode = flags->Has("transformer") || flags->Has("txt") || flags->Has("autoencoder");
    if (tensor_mode && (flags->Has("model") || flags->Has("prompt"))) {
      status = Status::InvalidArgument("--model/--prompt and --transformer/--autoencoder/--txt/--y are two "
                                       "different modes; use one");
    } else {
      status = tensor_mode ? RunTensors(*flags) : RunModel(*flags);
    }
  }
  if (!status.ok()) {
    std::fprintf(stderr, "kiln generate: %s\n", status.message().c_str());
    return 2;
  }
  return 0;
}

}  // namespace kiln
