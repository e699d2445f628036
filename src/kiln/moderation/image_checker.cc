#include "kiln/moderation/image_checker.h"

#include <algorithm>
#include <cstdio>

#include "kiln/models/mobilenet_v2/nsfw_classifier.h"

namespace kiln {
namespace {

// nsfwjs's classes (models/nsfw-mobilenet-v2/README.md) and what they mean for
// the "sexual" category:
//   Porn    explicit photographs                  → sexual
//   Hentai  explicit drawings and animation       → sexual (a drawing is no safer)
//   Sexy    suggestive, not explicit: lingerie,   → half: on its own it reaches the
//           swimwear, partial nudity                default policy's flag (0.4), not its
//                                                   review (0.6) or block (0.8)
//   Drawing, Neutral: safe                        → 0
// so the score is P(explicit) + ½ P(suggestive), in [0, 1] because the five
// probabilities sum to 1. An image the classifier splits between Porn and Sexy
// still scores high (0.6 Porn + 0.4 Sexy = 0.8): the uncertainty is only about
// how explicit it is.
constexpr int kDrawing = 0, kHentai = 1, kPorn = 3, kSexy = 4;
constexpr double kSexyWeight = 0.5;
static_assert(kNsfwClasses == 5, "the sexual score maps nsfwjs's five classes");

std::string SexualDetail(const NsfwResult& r) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), "nsfw image: porn %.2f, hentai %.2f, sexy %.2f, drawing %.2f", r.probs[kPorn],
                r.probs[kHentai], r.probs[kSexy], r.probs[kDrawing]);
  return buf;
}

}  // namespace

double NsfwSexualScore(const float* probs) {
  const double score = static_cast<double>(probs[kPorn]) + probs[kHentai] + kSexyWeight * probs[kSexy];
  return std::clamp(score, 0.0, 1.0);
}

ImageChecker::ImageChecker(std::unique_ptr<NsfwClassifier> classifier) : classifier_(std::move(classifier)) {}

ImageChecker::~ImageChecker() = default;

StatusOr<std::unique_ptr<ImageChecker>> ImageChecker::Load(const std::string& nsfw_dir) {
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<NsfwClassifier> classifier, NsfwClassifier::Load(nsfw_dir));
  return std::unique_ptr<ImageChecker>(new ImageChecker(std::move(classifier)));
}

Status ImageChecker::Check(ThreadPool& pool, const uint8_t* rgb, int width, int height,
                           const std::vector<const ConceptHead*>& concepts, std::vector<ModerationSignal>* signals,
                           std::vector<float>* features) {
  if (signals == nullptr) return Status::InvalidArgument("image check: null signals");
  // Refused before the classifier runs: a head that cannot score these features
  // is a caller's bug (heads are validated when stored), not a reason to pass an image.
  for (const ConceptHead* head : concepts) {
    if (head == nullptr) return Status::InvalidArgument("image check: null concept head");
    if (head->dim() != kConceptFeatureDim || head->mean.size() != head->weight.size() ||
        head->inv_std.size() != head->weight.size()) {
      std::string msg = "image check: concept head '";
      msg.append(head->name).append("' has dimension ").append(std::to_string(head->dim()));
      return Status::InvalidArgument(msg.append(", not ").append(std::to_string(kConceptFeatureDim)));
    }
  }
  NsfwResult result;
  KILN_RETURN_IF_ERROR(classifier_->Classify(pool, rgb, width, height, &result).WithContext("image check"));
  signals->push_back(ModerationSignal{"sexual", NsfwSexualScore(result.probs), "nsfw_image", SexualDetail(result)});
  for (const ConceptHead* head : concepts) {
    std::string category = "concept/";
    std::string detail = "concept head ";
    signals->push_back(ModerationSignal{category.append(head->name), head->Score(result.features.data()), "concept",
                                        detail.append(head->name)});
  }
  if (features != nullptr) *features = std::move(result.features);
  return Status::Ok();
}

}  // namespace kiln
