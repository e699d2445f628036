#include "kiln/app/nsfw_golden.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/mobilenet_v2/nsfw_classifier.h"
#include "kiln/models/mobilenet_v2/nsfw_input.h"
#include "kiln/pipeline/png_reader.h"

namespace kiln {
namespace {

using A = MobileNetV2Arch;
constexpr int64_t kImageFloats = A::kInputSize * A::kInputSize * 3;

void CompareRef(const SafetensorsFile& golden, GoldenReport& report, const std::string& label,
                const std::string& name, const float* out, int64_t n) {
  auto ref = golden.GetF32(name);
  if (!ref.ok()) {
    report.Fail(label, ref.status().message());
    return;
  }
  report.Compare(label, out, n, *ref);
}

// The golden's trace images ("trace_images" metadata, e.g. "[10,13]").
std::vector<int64_t> TraceImages(const SafetensorsFile& golden) {
  std::vector<int64_t> images;
  auto it = golden.metadata().find("trace_images");
  if (it == golden.metadata().end()) return images;
  const auto parsed = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return images;
  for (const auto& v : parsed) {
    if (v.is_number_integer()) images.push_back(v.get<int64_t>());
  }
  return images;
}

// Path 1: the model on the golden input tensor.
Status CheckFromInput(const SafetensorsFile& golden, const NsfwClassifier& classifier, ThreadPool& pool,
                      GoldenReport& report, int64_t* count) {
  KILN_ASSIGN_OR_RETURN(Tensor input, golden.GetF32("input"));
  if (input.rank() != 4 || input.dim(1) != A::kInputSize || input.dim(2) != A::kInputSize || input.dim(3) != 3) {
    std::string msg = "golden input is ";
    msg.append(ShapeToString(input.shape())).append(", expected [N, 224, 224, 3]");
    return Status::InvalidArgument(msg);
  }
  const int64_t n = input.dim(0);
  *count = n;
  const std::vector<int64_t> trace_images = TraceImages(golden);
  for (int64_t i : trace_images) {
    if (i < 0 || i >= n) return Status::InvalidArgument("golden trace_images names an image outside the batch");
  }
  // Trace layers: the trace images' slices, compared as they are produced.
  const MobileNetV2TraceFn trace = [&](std::string_view layer, const float* data, const Shape& shape) {
    std::string key = "trace/";
    key.append(layer);
    if (!golden.Contains(key) || trace_images.empty()) return;
    const int64_t per_image = ShapeNumel(shape) / shape[0];
    std::vector<float> picked;
    for (int64_t i : trace_images) picked.insert(picked.end(), data + i * per_image, data + (i + 1) * per_image);
    auto ref = golden.GetF32(key);
    if (!ref.ok()) return;
    report.Compare(std::string("  ").append(key), picked.data(), static_cast<int64_t>(picked.size()), *ref,
                   /*gating=*/false);
  };
  std::vector<float> features(n * A::kFeatureChannels), dense_1(n * A::kDense1), dense_2(n * A::kDense2);
  std::vector<float> logits(n * A::kClasses), probs(n * A::kClasses);
  MobileNetV2Outputs out{features.data(), dense_1.data(), dense_2.data(), logits.data(), probs.data()};
  MobileNetV2Workspace ws;
  classifier.model().Forward(pool, input.f32(), n, ws, out, trace);
  CompareRef(golden, report, "probs", "probs", probs.data(), n * A::kClasses);
  CompareRef(golden, report, "logits", "logits", logits.data(), n * A::kClasses);
  CompareRef(golden, report, "features", "features", features.data(), n * A::kFeatureChannels);
  CompareRef(golden, report, "dense_1", "dense_1", dense_1.data(), n * A::kDense1);
  CompareRef(golden, report, "dense_2", "dense_2", dense_2.data(), n * A::kDense2);
  return Status::Ok();
}

// Path 2: the PNGs through decoding, /255 and the classifier's batch call.
Status CheckFromPngs(const std::string& dir, const SafetensorsFile& golden, NsfwClassifier& classifier,
                     ThreadPool& pool, GoldenReport& report, int64_t count) {
  std::vector<uint8_t> rgb;
  for (int64_t i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "/inputs_%02d.png", static_cast<int>(i));
    KILN_ASSIGN_OR_RETURN(RgbImage image, ReadPng(dir + name));
    if (image.width != A::kInputSize || image.height != A::kInputSize) {
      return Status::InvalidArgument(dir + name + ": expected 224x224");
    }
    rgb.insert(rgb.end(), image.pixels.begin(), image.pixels.end());
  }
  std::vector<float> unit(rgb.size());
  BytesToUnitFloat(rgb.data(), static_cast<int64_t>(rgb.size()), unit.data());
  CompareRef(golden, report, "png/input", "input", unit.data(), static_cast<int64_t>(unit.size()));

  std::vector<NsfwResult> results(count);
  KILN_RETURN_IF_ERROR(classifier.ClassifyBatch(pool, rgb.data(), static_cast<int>(count), results.data()));
  std::vector<float> probs, logits, features;
  for (const NsfwResult& r : results) {
    probs.insert(probs.end(), r.probs, r.probs + kNsfwClasses);
    logits.insert(logits.end(), r.logits, r.logits + kNsfwClasses);
    features.insert(features.end(), r.features.begin(), r.features.end());
  }
  CompareRef(golden, report, "png/probs", "probs", probs.data(), static_cast<int64_t>(probs.size()));
  CompareRef(golden, report, "png/logits", "logits", logits.data(), static_cast<int64_t>(logits.size()));
  CompareRef(golden, report, "png/features", "features", features.data(), static_cast<int64_t>(features.size()));
  return Status::Ok();
}

// Path 3: a 200×150 PNG through nsfwjs's resize.
Status CheckResize(const std::string& dir, NsfwClassifier& classifier, ThreadPool& pool, GoldenReport& report) {
  KILN_ASSIGN_OR_RETURN(auto golden, SafetensorsFile::Open(dir + "/golden_resize.safetensors"));
  KILN_ASSIGN_OR_RETURN(RgbImage image, ReadPng(dir + "/resize_input_200x150.png"));
  std::vector<float> input(kImageFloats), scratch;
  PrepareNsfwInput(pool, image.pixels.data(), image.width, image.height, scratch, input.data());
  CompareRef(*golden, report, "resize/input", "input", input.data(), kImageFloats);
  NsfwResult result;
  KILN_RETURN_IF_ERROR(classifier.Classify(pool, image.pixels.data(), image.width, image.height, &result));
  CompareRef(*golden, report, "resize/probs", "probs", result.probs, kNsfwClasses);
  return Status::Ok();
}

}  // namespace

bool IsNsfwGoldenDir(const std::string& dir) {
  return std::filesystem::exists(dir + "/golden.safetensors") && !std::filesystem::exists(dir + "/io.safetensors");
}

Status RunNsfwGolden(const std::string& dir, const std::string& model_dir, ThreadPool& pool, GoldenReport& report) {
  KILN_ASSIGN_OR_RETURN(auto classifier, NsfwClassifier::Load(model_dir));
  KILN_ASSIGN_OR_RETURN(auto golden, SafetensorsFile::Open(dir + "/golden.safetensors"));
  int64_t count = 0;
  KILN_RETURN_IF_ERROR(CheckFromInput(*golden, *classifier, pool, report, &count));
  KILN_RETURN_IF_ERROR(CheckFromPngs(dir, *golden, *classifier, pool, report, count));
  return CheckResize(dir, *classifier, pool, report);
}

}  // namespace kiln
