// ModerationService: runs moderation checks off the network threads — the
// prompt check before a job is queued, and the text and image checks of
// POST /v1/moderations — on one thread of its own with its own compute pool.
//
// Text checks that wait together are run as one batch (MiniLM embeds a batch
// of 16 prompts in far less than 16 times one prompt's time), grouped by the
// policy snapshot they are decided under; at low load a check runs alone as
// soon as it arrives. Images run one at a time on the one ImageChecker.
// Admin work (RunAsync) takes its turn like an image. Every check is decided under the tenant's policy snapshot at the request's
// safety_tolerance and recorded in ModerationMetrics.
// Thread-safe; callbacks run on the service thread and must be short.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/moderation/image_checker.h"
#include "kiln/moderation/moderation_metrics.h"
#include "kiln/moderation/prompt_checker.h"
#include "kiln/moderation/tenant_policies.h"

namespace kiln {

struct ModerationServiceOptions {
  PromptCheckerOptions prompt;
  std::string nsfw_dir;      // models/nsfw-mobilenet-v2; "" → no image checks in this service
  int compute_threads = 0;   // 0: every core
  size_t max_text_batch = 16;
};

// The outcome of one check.
struct ModerationVerdict {
  Status status;  // not ok: the check could not run (an undecodable image); nothing else is set
  std::vector<ModerationSignal> signals;
  ModerationDecision decision;
  int policy_version = 0;
  bool checked = false;       // false: the policy turns this stage off
  double seconds = 0;         // the check itself, without the wait before it
  std::vector<float> features;  // images: the 1280-d embedding (when asked)
};

class ModerationService {
 public:
  static StatusOr<std::unique_ptr<ModerationService>> Create(ModerationServiceOptions options,
                                                             TenantPolicies& policies, ModerationMetrics& metrics);
  // Finishes every check already accepted, then stops.
  ~ModerationService();

  bool has_text_classifier() const { return prompt_->has_classifier(); }
  bool has_image_checker() const { return image_ != nullptr; }

  using Done = std::function<void(ModerationVerdict)>;
  // stage: "prompt" (skipped when the policy turns prompt checks off) or "text" (always checked).
  void CheckTextAsync(std::string tenant, std::string text, int safety_tolerance, std::string stage, Done done);
  // bytes: PNG, JPEG or WebP. stage: "input_image", "output_image" (each skipped when the policy
  // says so) or "image" (always). features: also return the 1280-d embedding.
  void CheckImageAsync(std::string tenant, std::string bytes, int safety_tolerance, std::string stage,
                       bool features, Done done);
  // Runs work on the service thread, in turn with the checks: admin changes
  // that compute (training a concept head) or wait (a durable policy write).
  // images is null when this service has no image checker.
  using Work = std::function<void(ImageChecker* images, ThreadPool& pool)>;
  void RunAsync(Work work);

 private:
  struct Task {
    Work work;  // set: a RunAsync task, the fields below unused
    bool is_image = false;
    std::string tenant, input, stage;
    int safety_tolerance = 2;
    bool features = false;
    Done done;
  };
  ModerationService(ModerationServiceOptions options, TenantPolicies& policies, ModerationMetrics& metrics);
  void Enqueue(Task task);
  void Loop();
  void RunTexts(std::vector<Task>& tasks);
  void RunImage(Task& task);

  ModerationServiceOptions options_;
  TenantPolicies& policies_;
  ModerationMetrics& metrics_;
  std::unique_ptr<PromptChecker> prompt_;
  std::unique_ptr<ImageChecker> image_;
  std::unique_ptr<ThreadPool> pool_;
  PromptCheckWorkspace prompt_ws_;  // the service thread's alone

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  std::thread thread_;
};

}  // namespace kiln
