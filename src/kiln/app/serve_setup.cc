#include "kiln/app/serve_setup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "kiln/base/crypto.h"
#include "kiln/base/file_util.h"
#include "kiln/base/logging.h"
#include "kiln/jobs/blob_store.h"
#include "kiln/jobs/event_hub.h"
#include "kiln/jobs/job_queue.h"
#include "kiln/jobs/job_service.h"
#include "kiln/jobs/sqlite_job_store.h"
#include "kiln/jobs/webhook_sender.h"
#include "kiln/moderation/concept_head.h"
#include "kiln/moderation/moderation_metrics.h"
#include "kiln/moderation/moderation_service.h"
#include "kiln/moderation/policy.h"
#include "kiln/moderation/tenant_policies.h"
#include "kiln/pipeline/model_manifest.h"
#include "kiln/server/admin_route.h"
#include "kiln/server/api_handler.h"
#include "kiln/server/moderations_route.h"
#include "kiln/server/http_server.h"
#include "kiln/server/signed_url.h"
#include "kiln/worker/worker_pool.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

// models/ in the working directory (a fresh clone), else beside the binary.
std::string DefaultModelsRoot(char** argv) {
  if (fs::exists("models/kiln-shapes/kiln.json")) return "models";
  std::error_code ec;
  const fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
      if (fs::exists(dir / "models/kiln-shapes/kiln.json")) return (dir / "models").string();
    }
  }
  return "models";
}

// data/ (lexicons, moderation policy) in the working directory, else above the binary.
std::string DefaultDataRoot() {
  if (fs::exists("data/moderation/default_policy.json")) return "data";
  std::error_code ec;
  const fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
      if (fs::exists(dir / "data/moderation/default_policy.json")) return (dir / "data").string();
    }
  }
  return "data";
}

// The policies and concept heads tenants set through the admin API, back in force after a restart.
Status LoadTenantModeration(JobStore& store, TenantPolicies& policies) {
  KILN_ASSIGN_OR_RETURN(std::vector<StoredPolicy> stored, store.CurrentPolicies());
  for (StoredPolicy& p : stored) {
    StatusOr<ModerationPolicy> policy = ModerationPolicy::Parse(p.json);
    if (!policy.ok()) return policy.status().WithContext("the stored policy of tenant " + p.tenant);
    policies.SetPolicy(p.tenant, std::move(policy).value(), std::move(p.json));
  }
  KILN_ASSIGN_OR_RETURN(std::vector<StoredConcept> concepts, store.Concepts());
  for (const StoredConcept& c : concepts) {
    StatusOr<ConceptHead> head = ConceptHead::FromJson(c.json);
    if (!head.ok()) return head.status().WithContext("the stored concept " + c.name + " of tenant " + c.tenant);
    policies.SetConcept(c.tenant, std::move(head).value());
  }
  return Status::Ok();
}

Status ApplyIntFlag(const Flags& flags, const char* name, int min, int max, int* out) {
  if (!flags.Has(name)) return Status::Ok();
  KILN_ASSIGN_OR_RETURN(int64_t v, flags.GetInt(name, *out, min, max));
  *out = static_cast<int>(v);
  return Status::Ok();
}

// The key that signs result URLs: made once per data directory, kept 0600,
// so URLs stay valid across restarts.
StatusOr<std::string> LoadOrCreateSigningKey(const std::string& data_dir) {
  const std::string path = data_dir + "/url_signing.key";
  StatusOr<std::string> existing = ReadFileToString(path);
  if (existing.ok() && existing->size() >= 32) return existing;
  const std::string key = RandomHex(32);
  KILN_RETURN_IF_ERROR(WriteStringToFile(path, key));
  ::chmod(path.c_str(), 0600);
  return key;
}

}  // namespace

StatusOr<ServeConfig> LoadServeSettings(const Flags& flags, char** argv) {
  ServeConfig c;
  std::string config_path = flags.GetString("config", "");
  if (config_path.empty()) {
    if (const char* env = std::getenv("KILN_CONFIG")) config_path = env;
  }
  if (!config_path.empty()) {
    KILN_ASSIGN_OR_RETURN(c, LoadServeConfig(config_path));
  }
  KILN_RETURN_IF_ERROR(ApplyServeEnvironment(&c, [](const char* name) { return std::getenv(name); }));
  if (flags.Has("address")) c.address = flags.GetString("address", c.address);
  KILN_RETURN_IF_ERROR(ApplyIntFlag(flags, "port", 0, 65535, &c.port));
  if (flags.Has("public-url")) c.public_url = flags.GetString("public-url", "");
  if (flags.Has("data-dir")) c.data_dir = flags.GetString("data-dir", c.data_dir);
  KILN_RETURN_IF_ERROR(ApplyIntFlag(flags, "workers", 0, 64, &c.workers));
  KILN_RETURN_IF_ERROR(ApplyIntFlag(flags, "compute-threads", 0, 256, &c.compute_threads));
  KILN_RETURN_IF_ERROR(ApplyIntFlag(flags, "max-batch-size", 1, 64, &c.max_batch_size));
  KILN_RETURN_IF_ERROR(ApplyIntFlag(flags, "max-queue-delay-ms", 0, 60000, &c.max_queue_delay_ms));
  KILN_RETURN_IF_ERROR(ApplyIntFlag(flags, "queue-capacity", 1, 10000000, &c.queue_capacity));
  KILN_RETURN_IF_ERROR(ApplyIntFlag(flags, "io-threads", 1, 64, &c.io_threads));
  if (flags.Has("log-format")) c.log_format = flags.GetString("log-format", c.log_format);
  if (flags.Has("allow-private-webhooks")) c.webhooks_allow_private = true;
  if (c.log_format != "json" && c.log_format != "text") {
    return Status::InvalidArgument("log-format: '" + c.log_format + "' is not json or text");
  }
  const std::string models_root = DefaultModelsRoot(argv);
  if (c.models.empty()) c.models = DefaultServedModels(models_root);
  if (flags.Has("no-moderation")) c.moderation_enabled = false;
  KILN_RETURN_IF_ERROR(ApplyIntFlag(flags, "moderation-threads", 0, 256, &c.moderation_threads));
  if (c.moderation_data_dir.empty()) c.moderation_data_dir = DefaultDataRoot();
  if (c.nsfw_model.empty()) c.nsfw_model = models_root + "/nsfw-mobilenet-v2";
  if (c.text_model.empty()) c.text_model = models_root + "/minilm-l6-v2";
  if (c.text_heads.empty()) c.text_heads = models_root + "/text-moderation-heads/heads.json";
  if (c.public_url.empty()) c.public_url = "http://" + c.address + ":" + std::to_string(c.port);
  while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
  return c;
}

StatusOr<std::unique_ptr<JobStore>> OpenJobStore(const ServeConfig& config) {
  std::error_code ec;
  fs::create_directories(config.data_dir, ec);
  if (ec) return Status::Unavailable("data-dir " + config.data_dir + ": " + ec.message());
  SqliteStoreOptions options;
  options.synchronous_full = config.synchronous_full;
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<SqliteJobStore> store,
                        SqliteJobStore::Open(config.data_dir + "/jobs.db", options));
  return std::unique_ptr<JobStore>(std::move(store));
}

struct ServeRuntime::Parts {
  ServeConfig config;
  MetricsRegistry metrics;
  std::unique_ptr<JobStore> store;
  std::unique_ptr<BlobStore> blobs;
  std::unique_ptr<UrlSigner> signer;
  EventHub events;
  std::unique_ptr<JobQueue> queue;
  std::unique_ptr<WebhookSender> webhooks;
  std::unique_ptr<JobService> service;
  // Moderation (all null when it is turned off).
  std::unique_ptr<TenantPolicies> policies;
  std::unique_ptr<ModerationMetrics> moderation_metrics;
  std::unique_ptr<ModerationService> moderation;
  std::unique_ptr<ModerationsRoute> moderations_route;
  std::unique_ptr<AdminRoute> admin_route;
  std::unique_ptr<ApiHandler> api;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<HttpServer> http;
  std::atomic<bool> ready{false};
  bool stopped = false;
};

Status ServeRuntime::StartModeration(ApiOptions* api, WorkerOptions* workers) {
  Parts& p = *parts_;
  const ServeConfig& config = p.config;
  const std::string policy_path = config.moderation_data_dir + "/moderation/default_policy.json";
  KILN_ASSIGN_OR_RETURN(std::string policy_json, ReadFileToString(policy_path));
  StatusOr<ModerationPolicy> policy = ModerationPolicy::Parse(policy_json);
  if (!policy.ok()) return policy.status().WithContext(policy_path);
  p.policies = std::make_unique<TenantPolicies>(std::move(policy).value(), std::move(policy_json));
  KILN_RETURN_IF_ERROR(LoadTenantModeration(*p.store, *p.policies));
  p.moderation_metrics = std::make_unique<ModerationMetrics>(p.metrics);
  ModerationServiceOptions mo;
  mo.prompt.data_dir = config.moderation_data_dir;
  if (fs::exists(config.text_model + "/config.json")) {
    mo.prompt.embedder_dir = config.text_model;
    mo.prompt.heads_path = config.text_heads;
  } else {
    KILN_LOG(kWarning) << "moderation: no text model at " << config.text_model
                       << " (scripts/fetch_minilm.sh installs it); prompts are checked with lexicons and rules only";
  }
  mo.nsfw_dir = config.nsfw_model;
  mo.compute_threads = config.moderation_threads;
  KILN_ASSIGN_OR_RETURN(p.moderation, ModerationService::Create(mo, *p.policies, *p.moderation_metrics));
  p.moderations_route = std::make_unique<ModerationsRoute>(*p.moderation, *p.service, *p.blobs);
  p.admin_route = std::make_unique<AdminRoute>(*p.store, *p.policies, *p.moderation, *p.service, *p.blobs);
  api->moderation = p.moderation.get();
  api->moderations = p.moderations_route.get();
  api->admin = p.admin_route.get();
  workers->moderation = OutputModerationOptions{p.policies.get(), p.moderation_metrics.get(), config.nsfw_model};
  return Status::Ok();
}

StatusOr<std::unique_ptr<ServeRuntime>> ServeRuntime::Create(const ServeConfig& config) {
  std::unique_ptr<ServeRuntime> rt(new ServeRuntime());
  rt->parts_ = std::make_unique<Parts>();
  Parts& p = *rt->parts_;
  p.config = config;
  KILN_ASSIGN_OR_RETURN(p.store, OpenJobStore(config));
  KILN_ASSIGN_OR_RETURN(BlobStore blobs, BlobStore::Open(config.data_dir + "/blobs"));
  p.blobs = std::make_unique<BlobStore>(std::move(blobs));
  KILN_ASSIGN_OR_RETURN(std::string key, LoadOrCreateSigningKey(config.data_dir));
  p.signer = std::make_unique<UrlSigner>(key, config.url_ttl_seconds);
  p.queue = std::make_unique<JobQueue>(static_cast<size_t>(config.queue_capacity));

  WebhookOptions wo;
  wo.allow_private = config.webhooks_allow_private;
  wo.max_attempts = config.webhook_max_attempts;
  wo.initial_backoff = std::chrono::milliseconds(config.webhook_initial_backoff_ms);
  wo.max_backoff = std::chrono::milliseconds(config.webhook_max_backoff_ms);
  wo.timeout = std::chrono::milliseconds(config.webhook_timeout_ms);
  JobStore* store = p.store.get();
  Counter& attempts_ok = p.metrics.GetCounter("kiln_webhook_attempts_total", "Webhook deliveries tried", {{"result", "ok"}});
  Counter& attempts_failed =
      p.metrics.GetCounter("kiln_webhook_attempts_total", "Webhook deliveries tried", {{"result", "failed"}});
  p.webhooks = std::make_unique<WebhookSender>(wo, [store, &attempts_ok, &attempts_failed](const WebhookAttempt& a) {
    (a.error.empty() ? attempts_ok : attempts_failed).Increment();
    Status s = store->RecordWebhookAttempt(a);
    if (!s.ok()) {
      KILN_LOG(kWarning) << "recording a webhook attempt: " << s.ToString();
    }
  });

  ApiOptions api;
  api.public_url = config.public_url;
  api.sync_wait_max_seconds = config.sync_wait_max_seconds;
  for (const ServedModelConfig& m : config.models) {
    KILN_ASSIGN_OR_RETURN(ModelManifest manifest, ModelManifest::Load(m.path));
    ServedModel served;
    served.name = m.name;
    served.aliases = m.aliases;
    served.limits.min_size = m.min_size;
    served.limits.max_size = m.max_size;
    served.limits.max_steps = m.max_steps;
    served.limits.default_width = static_cast<int>(manifest.width);
    served.limits.default_height = static_cast<int>(manifest.height);
    served.limits.default_steps = manifest.steps;
    served.limits.default_guidance = manifest.guidance;
    api.models.push_back(std::move(served));
  }
  Parts* parts = &p;
  api.ready = [parts] { return parts->ready.load(); };
  p.service = std::make_unique<JobService>(*p.store, *p.queue, p.events, p.webhooks.get(), p.metrics,
                                           [parts](const Job& job) { return parts->api->SampleUrl(job); });
  WorkerOptions worker_options;
  if (config.moderation_enabled) {
    KILN_RETURN_IF_ERROR(rt->StartModeration(&api, &worker_options));
  }
  p.api = std::make_unique<ApiHandler>(std::move(api), *p.service, *p.store, p.events, *p.blobs, *p.signer,
                                       p.metrics);
  worker_options.workers = config.workers;
  worker_options.compute_threads = config.compute_threads;
  worker_options.max_batch_size = static_cast<size_t>(config.max_batch_size);
  worker_options.max_queue_delay = std::chrono::milliseconds(config.max_queue_delay_ms);
  std::map<std::string, std::string> model_dirs;
  for (const ServedModelConfig& m : config.models) model_dirs[m.name] = m.path;
  p.workers = std::make_unique<WorkerPool>(*p.service, *p.queue, *p.blobs, p.metrics, worker_options, model_dirs);
  HttpServerOptions http;
  http.address = config.address;
  http.port = static_cast<uint16_t>(config.port);
  http.threads = config.io_threads;
  http.max_body_bytes = static_cast<size_t>(config.max_body_bytes);
  p.http = std::make_unique<HttpServer>(http, *p.api);
  return rt;
}

ServeRuntime::~ServeRuntime() {
  if (parts_) Stop();
}

Status ServeRuntime::Start() {
  Parts& p = *parts_;
  KILN_ASSIGN_OR_RETURN(int recovered, p.service->Recover());
  if (recovered > 0) {
    KILN_LOG(kInfo) << "recovered " << recovered << " unfinished jobs from the store";
  }
  KILN_RETURN_IF_ERROR(p.workers->Start());
  KILN_RETURN_IF_ERROR(p.http->Start());
  p.ready = true;
  KILN_LOG(kInfo) << "listening on " << p.config.address << ":" << p.http->port();
  return Status::Ok();
}

void ServeRuntime::Stop() {
  Parts& p = *parts_;
  if (p.stopped) return;
  p.stopped = true;
  p.ready = false;
  p.http->Stop();
  // Checks already accepted finish (their jobs are written) before anything they use goes.
  p.moderation.reset();
  p.queue->Shutdown();
  p.workers->Stop();
  p.webhooks.reset();
}

std::string ServeRuntime::public_url() const { return parts_->config.public_url; }
uint16_t ServeRuntime::port() const { return parts_->http->port(); }

std::string ServeRuntime::model_names() const {
  std::string out;
  for (const ServedModelConfig& m : parts_->config.models) {
    if (!out.empty()) out += ", ";
    out += m.name;
    if (!m.aliases.empty()) {
      out += " (also as";
      for (const std::string& a : m.aliases) out += " " + a;
      out += ")";
    }
  }
  return out;
}

}  // namespace kiln
