#include "kiln/models/mobilenet_v2/nsfw_classifier.h"

#include <algorithm>

#include "kiln/base/file_util.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/mobilenet_v2/nsfw_input.h"
#include "kiln/models/workspace_buffer.h"

namespace kiln {
namespace {

constexpr int64_t kImageFloats = int64_t{NsfwClassifier::kInputSize} * NsfwClassifier::kInputSize * 3;

}  // namespace

StatusOr<std::unique_ptr<NsfwClassifier>> NsfwClassifier::Load(const std::string& dir) {
  KILN_ASSIGN_OR_RETURN(std::string json, ReadFileToString(dir + "/topology.json"));
  auto topology = MobileNetV2Topology::Parse(json);
  if (!topology.ok()) return Status(topology.status().code(), dir + "/" + topology.status().message());
  KILN_ASSIGN_OR_RETURN(auto weights, SafetensorsFile::Open(dir + "/model.safetensors"));
  // The folded weights are copies: the mapped file can go once loaded.
  KILN_ASSIGN_OR_RETURN(auto model, MobileNetV2::Load(*weights, *topology));
  return std::unique_ptr<NsfwClassifier>(new NsfwClassifier(std::move(model)));
}

Status NsfwClassifier::Classify(ThreadPool& pool, const uint8_t* rgb, int width, int height, NsfwResult* out) {
  if (rgb == nullptr || out == nullptr) return Status::InvalidArgument("Classify: null image or result");
  if (width < 1 || height < 1) {
    std::string msg = "Classify: image size ";
    msg.append(std::to_string(width)).append("x").append(std::to_string(height)).append(" is empty");
    return Status::InvalidArgument(msg);
  }
  EnsureFloats(input_, kImageFloats);
  PrepareNsfwInput(pool, rgb, width, height, unscaled_, input_.data());
  Run(pool, 1, out);
  return Status::Ok();
}

Status NsfwClassifier::ClassifyBatch(ThreadPool& pool, const uint8_t* rgb, int count, NsfwResult* out) {
  if (count < 1) return Status::InvalidArgument("ClassifyBatch: count must be at least 1");
  if (rgb == nullptr || out == nullptr) return Status::InvalidArgument("ClassifyBatch: null images or results");
  EnsureFloats(input_, count * kImageFloats);
  BytesToUnitFloat(rgb, count * kImageFloats, input_.data());
  Run(pool, count, out);
  return Status::Ok();
}

void NsfwClassifier::Run(ThreadPool& pool, int count, NsfwResult* out) {
  constexpr int64_t kFeatures = MobileNetV2Arch::kFeatureChannels;
  EnsureFloats(features_, count * kFeatures);
  EnsureFloats(logits_, count * kNsfwClasses);
  EnsureFloats(probs_, count * kNsfwClasses);
  MobileNetV2Outputs outputs;
  outputs.features = features_.data();
  outputs.logits = logits_.data();
  outputs.probs = probs_.data();
  model_->Forward(pool, input_.data(), count, workspace_, outputs);
  for (int i = 0; i < count; ++i) {
    NsfwResult& r = out[i];
    std::copy_n(probs_.data() + i * kNsfwClasses, kNsfwClasses, r.probs);
    std::copy_n(logits_.data() + i * kNsfwClasses, kNsfwClasses, r.logits);
    // assign reuses the vector's capacity: a reused result allocates nothing.
    r.features.assign(features_.data() + i * kFeatures, features_.data() + (i + 1) * kFeatures);
  }
}

}  // namespace kiln
