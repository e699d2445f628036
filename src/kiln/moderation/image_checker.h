// ImageChecker: every image signal about one image — the NSFW classifier's
// sexual score (nsfw_classifier.h; how its five classes map to a score is
// documented in image_checker.cc and docs/MODERATION.md) and each of the
// tenant's concept heads (concept_head.h) on the same pooled features.
// Signals are emitted for every category it scores, whatever the score.
//
// Not thread-safe (it owns a classifier with its buffers): one per worker.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/moderation/concept_head.h"
#include "kiln/moderation/policy.h"

namespace kiln {

class NsfwClassifier;

// The "sexual" score of the NSFW classifier's five probabilities (Drawing,
// Hentai, Neutral, Porn, Sexy): Porn + Hentai + ½ Sexy, in [0, 1]
// (image_checker.cc and docs/MODERATION.md say why).
double NsfwSexualScore(const float* probs);

class ImageChecker {
 public:
  // nsfw_dir: models/nsfw-mobilenet-v2.
  static StatusOr<std::unique_ptr<ImageChecker>> Load(const std::string& nsfw_dir);
  ~ImageChecker();

  // rgb (height, width, 3), any size. Appends this image's signals to *signals (the caller
  // clears it between images). features, when not null, gets the 1280-d embedding.
  Status Check(ThreadPool& pool, const uint8_t* rgb, int width, int height,
               const std::vector<const ConceptHead*>& concepts, std::vector<ModerationSignal>* signals,
               std::vector<float>* features = nullptr);

 private:
  explicit ImageChecker(std::unique_ptr<NsfwClassifier> classifier);
  std::unique_ptr<NsfwClassifier> classifier_;
};

}  // namespace kiln
