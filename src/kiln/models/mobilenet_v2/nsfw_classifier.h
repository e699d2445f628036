// NsfwClassifier: the image signal of moderation — the nsfwjs MobileNetV2
// classifier (models/nsfw-mobilenet-v2) on 8-bit RGB images, with nsfwjs's
// exact preprocessing (nsfw_input.h).
//
// Not thread-safe: it keeps its input and activation buffers between calls so
// that after the first call (at a given batch size) classifying allocates
// nothing. Use one per worker thread; the weights are ~10 MB.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/mobilenet_v2/mobilenet_v2.h"

namespace kiln {

inline constexpr int kNsfwClasses = 5;
// Output index → class name, as nsfwjs names them.
inline constexpr const char* kNsfwClassNames[kNsfwClasses] = {"Drawing", "Hentai", "Neutral", "Porn", "Sexy"};

struct NsfwResult {
  float probs[kNsfwClasses] = {};   // softmax, sums to 1
  float logits[kNsfwClasses] = {};  // before the softmax
  std::vector<float> features;      // 1280: the global-average-pool embedding (flatten_1)
};

class NsfwClassifier {
 public:
  static constexpr int kInputSize = static_cast<int>(MobileNetV2Arch::kInputSize);

  // dir holds model.safetensors and topology.json (models/nsfw-mobilenet-v2).
  static StatusOr<std::unique_ptr<NsfwClassifier>> Load(const std::string& dir);

  // One image of any size, rgb (height, width, 3) row-major; stretched to
  // 224×224 when it is not that size (nsfwjs's resize).
  Status Classify(ThreadPool& pool, const uint8_t* rgb, int width, int height, NsfwResult* out);
  // count images of 224×224, rgb (count, 224, 224, 3), in one forward pass;
  // out has count results.
  Status ClassifyBatch(ThreadPool& pool, const uint8_t* rgb, int count, NsfwResult* out);

  const MobileNetV2& model() const { return *model_; }

 private:
  explicit NsfwClassifier(std::unique_ptr<MobileNetV2> model) : model_(std::move(model)) {}
  // Runs the model on input_ (count images) and fills out.
  void Run(ThreadPool& pool, int count, NsfwResult* out);

  std::unique_ptr<MobileNetV2> model_;
  MobileNetV2Workspace workspace_;
  std::vector<float> input_;    // (count, 224, 224, 3)
  std::vector<float> unscaled_;  // an image before its resize
  std::vector<float> features_, logits_, probs_;
};

}  // namespace kiln
