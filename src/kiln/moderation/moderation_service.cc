#include "kiln/moderation/moderation_service.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include "kiln/pipeline/image_decoder.h"

namespace kiln {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

StatusOr<std::unique_ptr<ModerationService>> ModerationService::Create(ModerationServiceOptions options,
                                                                       TenantPolicies& policies,
                                                                       ModerationMetrics& metrics) {
  std::unique_ptr<ModerationService> service(new ModerationService(options, policies, metrics));
  KILN_ASSIGN_OR_RETURN(service->prompt_, PromptChecker::Load(options.prompt));
  if (!options.nsfw_dir.empty()) {
    KILN_ASSIGN_OR_RETURN(service->image_, ImageChecker::Load(options.nsfw_dir));
  }
  const int threads = options.compute_threads > 0 ? options.compute_threads
                                                  : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  service->pool_ = std::make_unique<ThreadPool>(threads);
  service->thread_ = std::thread([s = service.get()] { s->Loop(); });
  return service;
}

ModerationService::ModerationService(ModerationServiceOptions options, TenantPolicies& policies,
                                     ModerationMetrics& metrics)
    : options_(std::move(options)), policies_(policies), metrics_(metrics) {}

ModerationService::~ModerationService() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ModerationService::CheckTextAsync(std::string tenant, std::string text, int safety_tolerance, std::string stage,
                                       Done done) {
  Enqueue(Task{nullptr, false, std::move(tenant), std::move(text), std::move(stage), safety_tolerance, false,
               std::move(done)});
}

void ModerationService::CheckImageAsync(std::string tenant, std::string bytes, int safety_tolerance,
                                        std::string stage, bool features, Done done) {
  Enqueue(Task{nullptr, true, std::move(tenant), std::move(bytes), std::move(stage), safety_tolerance, features,
               std::move(done)});
}

void ModerationService::RunAsync(Work work) {
  Task task;
  task.work = std::move(work);
  task.is_image = true;  // runs alone
  Enqueue(std::move(task));
}

void ModerationService::Enqueue(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void ModerationService::Loop() {
  for (;;) {
    std::vector<Task> texts;
    std::optional<Task> image;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, and everything accepted is done
      // Every text waiting now (up to a batch) goes together; an image runs alone.
      if (tasks_.front().is_image) {
        image = std::move(tasks_.front());
        tasks_.pop_front();
      } else {
        for (auto it = tasks_.begin(); it != tasks_.end() && texts.size() < options_.max_text_batch;) {
          if (it->is_image) {
            ++it;
            continue;
          }
          texts.push_back(std::move(*it));
          it = tasks_.erase(it);
        }
      }
    }
    if (image && image->work) {
      image->work(image_.get(), *pool_);
    } else if (image) {
      RunImage(*image);
    } else {
      RunTexts(texts);
    }
  }
}

void ModerationService::RunTexts(std::vector<Task>& tasks) {
  // One Check per policy snapshot: block terms and patterns are the policy's.
  std::map<const TenantModeration*, std::vector<size_t>> groups;
  std::vector<std::shared_ptr<const TenantModeration>> snapshots(tasks.size());
  std::vector<ModerationVerdict> verdicts(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    snapshots[i] = policies_.For(tasks[i].tenant);
    verdicts[i].policy_version = snapshots[i]->policy.version;
    if (snapshots[i]->policy.ChecksStage(tasks[i].stage)) groups[snapshots[i].get()].push_back(i);
  }
  std::vector<std::string> texts;
  std::vector<std::vector<ModerationSignal>> signals;
  for (const auto& [snapshot, members] : groups) {
    const auto start = std::chrono::steady_clock::now();
    texts.clear();
    for (size_t i : members) texts.push_back(tasks[i].input);
    prompt_->Check(*pool_, texts, snapshot->policy, prompt_ws_, &signals);
    // A batch's members share its time: each waited for all of it.
    const double seconds = SecondsSince(start);
    for (size_t k = 0; k < members.size(); ++k) {
      ModerationVerdict& v = verdicts[members[k]];
      v.signals = std::move(signals[k]);
      v.decision = Decide(snapshot->policy, tasks[members[k]].safety_tolerance, v.signals);
      v.checked = true;
      v.seconds = seconds;
    }
  }
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (verdicts[i].checked) {
      metrics_.Record(tasks[i].tenant, tasks[i].stage, verdicts[i].signals, verdicts[i].decision, verdicts[i].seconds);
    }
    tasks[i].done(std::move(verdicts[i]));
  }
}

void ModerationService::RunImage(Task& task) {
  ModerationVerdict v;
  std::shared_ptr<const TenantModeration> snapshot = policies_.For(task.tenant);
  v.policy_version = snapshot->policy.version;
  if (image_ == nullptr) {
    v.status = Status::FailedPrecondition("image moderation is not configured in this process");
    return task.done(std::move(v));
  }
  if (!snapshot->policy.ChecksStage(task.stage) && !task.features) return task.done(std::move(v));
  const auto start = std::chrono::steady_clock::now();
  StatusOr<RgbImage> decoded = DecodeImage(task.input, "image");
  if (!decoded.ok()) {
    v.status = decoded.status();
    return task.done(std::move(v));
  }
  v.status = image_->Check(*pool_, decoded->pixels.data(), decoded->width, decoded->height, snapshot->concept_ptrs,
                           &v.signals, task.features ? &v.features : nullptr);
  if (!v.status.ok()) return task.done(std::move(v));
  v.decision = Decide(snapshot->policy, task.safety_tolerance, v.signals);
  v.checked = true;
  v.seconds = SecondsSince(start);
  metrics_.Record(task.tenant, task.stage, v.signals, v.decision, v.seconds);
  task.done(std::move(v));
}

}  // namespace kiln
