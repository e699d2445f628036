// ApiHandler: the routes of `kiln serve` — Black Forest Labs' API (POST
// /v1/{model}, GET /v1/get_result) and Kiln's own (task events, cancel,
// models, signed results, metrics, health, OpenAPI, playground).
//
// Runs on the network threads: every handler either answers at once from
// memory or hands the work on (store commit, event subscription) and
// answers from that thread through the Responder. Each request is counted
// and timed by route and code, and logged as one JSON line with its request
// id and trace context.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <string>
#include <vector>

#include "kiln/base/metrics.h"
#include "kiln/base/timer_queue.h"
#include "kiln/jobs/blob_store.h"
#include "kiln/jobs/event_hub.h"
#include "kiln/jobs/job_service.h"
#include "kiln/jobs/job_store.h"
#include "kiln/moderation/moderation_service.h"
#include "kiln/server/admin_route.h"
#include "kiln/server/api_types.h"
#include "kiln/server/moderations_route.h"
#include "kiln/server/rate_limiter.h"
#include "kiln/server/signed_url.h"
#include "kiln/server/submit_request.h"
#include "kiln/server/tenant_auth.h"

namespace kiln {

struct ServedModel {
  std::string name;
  std::vector<std::string> aliases;
  ModelLimits limits;
};

struct ApiOptions {
  std::string public_url;  // "http://127.0.0.1:8080": base of polling_url and sample URLs
  int sync_wait_max_seconds = 120;
  std::vector<ServedModel> models;
  std::function<bool()> ready;  // /readyz: workers started and the store open
  // Moderation; null when off. Prompts are checked before they are queued.
  ModerationService* moderation = nullptr;
  ModerationsRoute* moderations = nullptr;  // POST /v1/moderations
  AdminRoute* admin = nullptr;              // /v1/admin/...
};

class ApiHandler : public HttpHandler {
 public:
  // REQUIRES: every reference outlives the handler.
  ApiHandler(ApiOptions options, JobService& service, JobStore& store, EventHub& events, BlobStore& blobs,
             const UrlSigner& signer, MetricsRegistry& metrics);
  ~ApiHandler() override;

  void Handle(ApiRequest request, Responder respond) override;

  // The absolute, signed URL of a ready job's image (also used for webhooks).
  std::string SampleUrl(const Job& job) const;

 private:
  struct RequestMetrics {
    Counter* requests = nullptr;
    Histogram* latency = nullptr;
  };
  RequestMetrics MetricsFor(const std::string& route, int status);
  void Dispatch(const ApiRequest& request, Responder respond, std::string* route);

  void Submit(const ApiRequest& request, const ServedModel& model, Responder respond);
  // After the prompt check (if any): writes the job and answers as BFL does.
  void Enqueue(Job job, const Tenant& tenant, int wait_seconds, Responder respond);
  // What answers a submit once its job is written: the ids, or (Prefer: wait) the result.
  JobService::SubmitDone Answer(int wait_seconds, Responder respond);
  void GetResult(const ApiRequest& request, Responder respond);
  void Events(const ApiRequest& request, const std::string& id, Responder respond);
  void Cancel(const ApiRequest& request, const std::string& id, Responder respond);
  void Sample(const ApiRequest& request, const std::string& id, const std::string& ext, Responder respond);
  void Models(Responder respond);

  // The job as get_result shows it.
  std::string ResultJson(const Job& job) const;
  std::string CachedResultJson(const std::shared_ptr<const Job>& job) const;
  // Signed URLs are made once per period of SigningStep() seconds.
  int64_t SigningStep() const;
  int64_t SigningPeriod() const;
  // Authenticates; on failure answers (401/403) and returns nullopt.
  std::optional<Tenant> Authenticate(const ApiRequest& request, const Responder& respond);
  // The tenant's job, or nullopt (answered: "Task not found" in the route's way).
  const ServedModel* FindModel(const std::string& name) const;

  ApiOptions options_;
  JobService& service_;
  EventHub& events_;
  BlobStore& blobs_;
  const UrlSigner& signer_;
  MetricsRegistry& metrics_;
  TenantAuth auth_;
  TimerQueue timers_;  // sync-mode deadlines
  mutable std::shared_mutex request_metrics_mutex_;
  // route → (status code, its metrics); guarded by request_metrics_mutex_
  std::unordered_map<std::string, std::vector<std::pair<int, RequestMetrics>>> request_metrics_;
  RateLimiter rate_limiter_;
  std::map<std::string, const ServedModel*> model_routes_;  // name and aliases
  mutable std::shared_mutex sample_url_mutex_;  // shared to read the caches below
  // job id → (minute it was signed in, URL); guarded by sample_url_mutex_
  mutable std::unordered_map<std::string, std::pair<int64_t, std::string>> sample_urls_;
  struct CachedBody {
    int64_t minute;  // the signing period
    std::shared_ptr<const Job> job;  // the snapshot it was made from
    std::string body;
  };
  mutable std::unordered_map<std::string, CachedBody> result_bodies_;  // guarded by sample_url_mutex_
};

}  // namespace kiln
