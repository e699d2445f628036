#include "kiln/server/api_handler.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <mutex>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "kiln/base/clock.h"
#include "kiln/base/crypto.h"
#include "kiln/base/logging.h"
#include "kiln/base/trace_context.h"
#include "kiln/moderation/decision_json.h"
#include "kiln/pipeline/image_codec.h"
#include "kiln/server/api_responses.h"
#include "kiln/server/static_files.h"

namespace kiln {
namespace {

using nlohmann::json;

// "wait=30" in a Prefer header (RFC 7240); 0 when absent.
int PreferWaitSeconds(std::string_view prefer) {
  const size_t at = prefer.find("wait=");
  if (at == std::string_view::npos) return 0;
  int seconds = 0;
  for (size_t i = at + 5; i < prefer.size() && prefer[i] >= '0' && prefer[i] <= '9' && seconds < 100000; ++i) {
    seconds = seconds * 10 + (prefer[i] - '0');
  }
  return seconds;
}

std::string SseEvent(std::string_view type, std::string_view data) {
  std::string out = "event: ";
  out.append(type).append("\ndata: ").append(data).append("\n\n");
  return out;
}

// Seconds as milliseconds with 3 decimals ("12.345"), without printf (a
// noticeable share of a request's CPU when it ran per access-log line).
std::string FormatMillis(double seconds) {
  const int64_t micros = std::max<int64_t>(0, std::llround(seconds * 1e6));
  char buf[32];
  char* end = std::to_chars(buf, buf + sizeof buf, micros / 1000).ptr;
  const int64_t frac = micros % 1000;
  *end++ = '.';
  *end++ = static_cast<char>('0' + frac / 100);
  *end++ = static_cast<char>('0' + frac / 10 % 10);
  *end++ = static_cast<char>('0' + frac % 10);
  return std::string(buf, end);
}

}  // namespace

ApiHandler::ApiHandler(ApiOptions options, JobService& service, JobStore& store, EventHub& events,
                       BlobStore& blobs, const UrlSigner& signer, MetricsRegistry& metrics)
    : options_(std::move(options)),
      service_(service),
      events_(events),
      blobs_(blobs),
      signer_(signer),
      metrics_(metrics),
      auth_(store) {
  for (const ServedModel& m : options_.models) {
    model_routes_[m.name] = &m;
    for (const std::string& alias : m.aliases) model_routes_.emplace(alias, &m);
  }
}

ApiHandler::~ApiHandler() = default;

const ServedModel* ApiHandler::FindModel(const std::string& name) const {
  auto it = model_routes_.find(name);
  return it == model_routes_.end() ? nullptr : it->second;
}

int64_t ApiHandler::SigningStep() const { return std::clamp<int64_t>(signer_.ttl_seconds() / 10, 1, 60); }
int64_t ApiHandler::SigningPeriod() const { return UnixSeconds() / SigningStep(); }

std::string ApiHandler::SampleUrl(const Job& job) const {
  // The expiry moves in steps of a tenth of the TTL (at most a minute), so a
  // polled job's URL stays the same for that long and is signed once, not on
  // every poll; it is valid for between ttl and 1.1 × ttl.
  const int64_t minute = SigningPeriod();
  {
    std::shared_lock<std::shared_mutex> lock(sample_url_mutex_);
    auto it = sample_urls_.find(job.id);
    if (it != sample_urls_.end() && it->second.first == minute) return it->second.second;
  }
  const ImageFormat format = ParseImageFormat(job.request.output_format).value_or(ImageFormat::kJpeg);
  std::string_view ext = ImageFormatExtension(format);
  ext.remove_prefix(1);  // ".png" → "png"
  std::string url = options_.public_url + signer_.SamplePath(job.id, ext, (minute + 1) * SigningStep());
  std::lock_guard<std::shared_mutex> lock(sample_url_mutex_);
  if (sample_urls_.size() > 100000) sample_urls_.clear();
  sample_urls_[job.id] = {minute, url};
  return url;
}

std::string ApiHandler::ResultJson(const Job& job) const {
  json out{{"id", job.id}, {"status", std::string(BflStatus(job.state))}, {"result", nullptr},
           {"progress", nullptr}, {"details", nullptr}, {"preview", nullptr}};
  if (job.state == JobState::kReady) {
    const double start = job.started_ms / 1000.0, end = job.finished_ms / 1000.0;
    out["result"] = {{"sample", SampleUrl(job)}, {"prompt", job.request.prompt}, {"seed", job.request.seed},
                     {"start_time", start}, {"end_time", end}, {"duration", end - start}};
    out["progress"] = 1.0;
  } else if (!IsTerminal(job.state)) {
    out["progress"] = job.progress;
    if (job.state == JobState::kQueued) {
      out["details"] = {{"state", "queued"}, {"queue_position", service_.QueuePosition(job.id)}};
    } else {
      out["details"] = {{"state", "running"}};
    }
  } else {
    json details = json::object();
    if (!job.details_json.empty()) {
      details = json::parse(job.details_json, nullptr, /*allow_exceptions=*/false);
      if (!details.is_object()) details = json::object();
    }
    if (!job.error.empty()) details["error"] = job.error;
    details["state"] = std::string(JobStateName(job.state));
    out["details"] = details;
  }
  return DumpJson(out);
}

std::optional<Tenant> ApiHandler::Authenticate(const ApiRequest& request, const Responder& respond) {
  StatusOr<Tenant> tenant = auth_.Authenticate(request.Header("x-key"));
  if (!tenant.ok()) {
    respond(FromStatus(tenant.status()));
    return std::nullopt;
  }
  return std::move(tenant).value();
}

void ApiHandler::Handle(ApiRequest request, Responder respond) {
  const double start = MonotonicSeconds();
  // The request's place in a distributed trace: the caller's, or a new one.
  std::optional<TraceContext> parent = ParseTraceparent(request.Header("traceparent"));
  const TraceContext trace = parent ? ChildOf(*parent) : NewTrace();
  request.headers["traceparent"] = trace.ToTraceparent();  // what the job and its webhook carry
  auto route = std::make_shared<std::string>("unmatched");
  const std::string method = request.method, path = request.path, request_id = request.request_id;
  Responder wrapped = [this, respond = std::move(respond), start, route, method, path, request_id,
                       trace_id = trace.trace_id, span_id = trace.span_id](ApiResponse response) {
    const double seconds = MonotonicSeconds() - start;
    const RequestMetrics m = MetricsFor(*route, response.status);
    m.requests->Increment();
    m.latency->Observe(seconds);
    response.headers.emplace_back("x-request-id", request_id);
    // The access log line, built directly (one per request: nlohmann's object
    // would cost more than the request); only method and path come from the client.
    std::string line = "{\"event\":\"http_request\",\"request_id\":\"";
    line.append(request_id).append("\",\"method\":").append(DumpJson(json(method)));
    line.append(",\"path\":").append(DumpJson(json(path))).append(",\"route\":\"").append(*route);
    line.append("\",\"status\":").append(std::to_string(response.status));
    line.append(",\"duration_ms\":").append(FormatMillis(seconds));
    line.append(",\"trace_id\":\"").append(trace_id).append("\",\"span_id\":\"").append(span_id).append("\"}");
    KILN_LOG(kInfo) << line;
    respond(std::move(response));
  };
  Dispatch(request, std::move(wrapped), route.get());
}

ApiHandler::RequestMetrics ApiHandler::MetricsFor(const std::string& route, int status) {
  // The registry's lookup takes a lock and builds label vectors; the few
  // (route, code) pairs seen are remembered here, read under a shared lock.
  {
    std::shared_lock<std::shared_mutex> lock(request_metrics_mutex_);
    auto it = request_metrics_.find(route);
    if (it != request_metrics_.end()) {
      for (const auto& [code, metrics] : it->second) {
        if (code == status) return metrics;
      }
    }
  }
  RequestMetrics m;
  m.requests = &metrics_.GetCounter("kiln_http_requests_total", "HTTP requests by route and code",
                                    {{"route", route}, {"code", std::to_string(status)}});
  m.latency = &metrics_.GetHistogram("kiln_http_request_duration_seconds", "HTTP request latency by route and code",
                                     {{"route", route}, {"code", std::to_string(status)}});
  std::lock_guard<std::shared_mutex> lock(request_metrics_mutex_);
  request_metrics_[route].emplace_back(status, m);
  return m;
}

void ApiHandler::Dispatch(const ApiRequest& req, Responder respond, std::string* route) {
  const std::string& p = req.path;
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (get && p == "/v1/get_result") {
    *route = "/v1/get_result";
    return GetResult(req, std::move(respond));
  }
  if (StartsWith(p, "/v1/tasks/")) {
    std::string rest = p.substr(10);
    if (get && rest.size() > 7 && rest.compare(rest.size() - 7, 7, "/events") == 0) {
      *route = "/v1/tasks/{id}/events";
      return Events(req, rest.substr(0, rest.size() - 7), std::move(respond));
    }
    if (req.method == "DELETE" && rest.find('/') == std::string::npos) {
      *route = "/v1/tasks/{id}";
      return Cancel(req, rest, std::move(respond));
    }
    if (get && rest.find('/') == std::string::npos) {  // Kiln's REST-style read: same body as get_result
      *route = "/v1/tasks/{id}";
      ApiRequest copy = req;
      copy.query["id"] = rest;
      return GetResult(copy, std::move(respond));
    }
  }
  if (get && StartsWith(p, "/v1/results/")) {
    *route = "/v1/results/{id}/sample";
    const std::string rest = p.substr(12);
    const size_t slash = rest.find('/');
    if (slash != std::string::npos && StartsWith(std::string_view(rest).substr(slash), "/sample.")) {
      return Sample(req, rest.substr(0, slash), rest.substr(slash + 8), std::move(respond));
    }
    return respond(DetailResponse(404, "not found"));
  }
  if (get && p == "/v1/models") {
    *route = "/v1/models";
    return Models(std::move(respond));
  }
  if (p == "/v1/moderations") {
    *route = "/v1/moderations";
    if (options_.moderations == nullptr) return respond(DetailResponse(503, "moderation is turned off on this server"));
    if (req.method != "POST") return respond(DetailResponse(405, "method not allowed: use POST /v1/moderations"));
    std::optional<Tenant> tenant = Authenticate(req, respond);
    if (!tenant) return;
    return options_.moderations->Handle(req, *tenant, std::move(respond));
  }
  if (StartsWith(p, "/v1/admin/")) {
    *route = "/v1/admin";
    if (options_.admin == nullptr) return respond(DetailResponse(503, "moderation is turned off on this server"));
    return options_.admin->Handle(req, std::move(respond), route);
  }
  if (StartsWith(p, "/v1/") && p.find('/', 4) == std::string::npos) {
    *route = "/v1/{model}";
    const std::string name = p.substr(4);
    if (req.method != "POST") return respond(DetailResponse(405, "method not allowed: use POST /v1/" + name));
    const ServedModel* model = FindModel(name);
    if (model == nullptr) {
      // Authenticate first: an unknown key learns nothing about the models.
      if (!Authenticate(req, respond)) return;
      return respond(DetailResponse(404, "Model '" + name + "' not found; GET /v1/models lists the models served here"));
    }
    return Submit(req, *model, std::move(respond));
  }
  if (get && p == "/healthz") {
    *route = p;
    return respond(ApiResponse::Json(200, "{\"status\":\"ok\"}"));
  }
  if (get && p == "/readyz") {
    *route = p;
    const bool ready = !options_.ready || options_.ready();
    return respond(ApiResponse::Json(ready ? 200 : 503, ready ? "{\"status\":\"ready\"}" : "{\"status\":\"starting\"}"));
  }
  if (get && p == "/metrics") {
    *route = p;
    ApiResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_.RenderPrometheus();
    return respond(std::move(r));
  }
  if (get) {
    if (const StaticFile* file = FindStaticFile(p)) {
      *route = "static";
      ApiResponse r;
      r.content_type = std::string(file->content_type);
      r.body = std::string(file->body);
      r.headers.emplace_back("Cache-Control", "no-cache");
      return respond(std::move(r));
    }
  }
  respond(DetailResponse(404, "Not Found"));
}

void ApiHandler::Models(Responder respond) {
  json data = json::array();
  for (const ServedModel& m : options_.models) {
    data.push_back({{"id", m.name},
                    {"aliases", m.aliases},
                    {"default_width", m.limits.default_width},
                    {"default_height", m.limits.default_height},
                    {"min_size", m.limits.min_size},
                    {"max_size", m.limits.max_size},
                    {"size_multiple", m.limits.size_multiple},
                    {"default_steps", m.limits.default_steps},
                    {"max_steps", m.limits.max_steps}});
  }
  respond(ApiResponse::Json(200, DumpJson(json{{"object", "list"}, {"data", data}})));
}

void ApiHandler::Submit(const ApiRequest& req, const ServedModel& model, Responder respond) {
  std::optional<Tenant> tenant = Authenticate(req, respond);
  if (!tenant) return;
  const double wait_s = rate_limiter_.Acquire(tenant->name, tenant->rate_per_second, tenant->burst, MonotonicSeconds());
  if (wait_s > 0) {
    return respond(TooManyRequests("rate limit: tenant '" + tenant->name + "' may submit " +
                                       DumpJson(json(tenant->rate_per_second)) + " tasks per second",
                                   wait_s));
  }
  SubmitRequest parsed = ParseSubmitRequest(req.body, model.limits);
  if (parsed.errors.empty() && parsed.request.priority > tenant->max_priority) {
    parsed.errors.push_back(FieldError{{"body", "priority"},
                                       "Input should be less than or equal to " +
                                           std::to_string(tenant->max_priority) + " (this tenant's highest priority)",
                                       "less_than_equal"});
  }
  const std::string_view idempotency_key = req.Header("idempotency-key");
  if (idempotency_key.size() > 255) {
    parsed.errors.push_back(FieldError{{"header", "idempotency-key"}, "at most 255 characters", "string_too_long"});
  }
  if (!parsed.errors.empty()) return respond(ApiResponse::Json(422, ValidationErrorBody(parsed.errors)));

  Job job;
  job.id = RandomUuid();
  job.tenant = tenant->name;
  job.request = std::move(parsed.request);
  job.request.model = model.name;
  if (parsed.seed) {
    job.request.seed = *parsed.seed;
  } else {
    const std::string hex = RandomHex(6);  // 48 bits: exact as a JSON number everywhere
    job.request.seed = std::stoull(hex, nullptr, 16);
  }
  job.created_ms = UnixMillis();
  if (parsed.deadline_seconds > 0) {
    job.request.deadline_ms = job.created_ms + static_cast<int64_t>(parsed.deadline_seconds * 1000.0);
  }
  job.traceparent = std::string(req.Header("traceparent"));
  job.idempotency_key = std::string(idempotency_key);
  const int wait_seconds = std::min(PreferWaitSeconds(req.Header("prefer")), options_.sync_wait_max_seconds);
  if (options_.moderation == nullptr) return Enqueue(std::move(job), *tenant, wait_seconds, std::move(respond));
  // The prompt check runs on the moderation thread; the job is written from there.
  // Copied first: the callback below takes the job (argument order is unspecified).
  std::string tenant_name = job.tenant, prompt = job.request.prompt;
  const int tolerance = job.request.safety_tolerance;
  options_.moderation->CheckTextAsync(
      std::move(tenant_name), std::move(prompt), tolerance, "prompt",
      [this, job = std::move(job), tenant = *tenant, wait_seconds, respond](ModerationVerdict v) mutable {
        if (!v.status.ok()) return respond(FromStatus(v.status));
        if (!v.checked) return Enqueue(std::move(job), tenant, wait_seconds, std::move(respond));
        service_.RecordModeration(ModerationAuditEntry{job.id, job.tenant, "prompt",
                                                       std::string(ModerationActionName(v.decision.action)),
                                                       v.policy_version, ReasonsJson(v.decision).dump(), UnixMillis()});
        // Hold-for-review at the prompt stops it too: nothing is generated from
        // a prompt nobody has cleared (there is no image yet to hold).
        const bool stopped = v.decision.action >= ModerationAction::kReview;
        if (v.decision.action != ModerationAction::kAllow) {
          job.details_json = AddDecisionToDetails("", v.decision, "prompt", v.policy_version, stopped);
        }
        if (!stopped) return Enqueue(std::move(job), tenant, wait_seconds, std::move(respond));
        job.state = JobState::kRequestModerated;
        job.error = "the prompt was moderated";
        service_.RecordStoppedAsync(std::move(job), Answer(wait_seconds, std::move(respond)));
      });
}

void ApiHandler::Enqueue(Job job, const Tenant& tenant, int wait_seconds, Responder respond) {
  service_.SubmitAsync(std::move(job), tenant, Answer(wait_seconds, std::move(respond)));
}

JobService::SubmitDone ApiHandler::Answer(int wait_seconds, Responder respond) {
  return [this, respond, wait_seconds](StatusOr<Job> stored, bool created) {
    if (!stored.ok()) return respond(FromStatus(stored.status()));
    const Job& j = *stored;
    const double output_mp = j.request.width * static_cast<double>(j.request.height) / 1e6;
    // Cost in megapixel-steps of compute (BFL reports credits; Kiln has none to charge).
    const double cost = std::round(output_mp * j.request.steps * 1e4) / 1e4;
    if (wait_seconds <= 0) {
      ApiResponse r = ApiResponse::Json(
          200, DumpJson(json{{"id", j.id},
                         {"polling_url", options_.public_url + "/v1/get_result?id=" + j.id},
                         {"cost", cost},
                         {"input_mp", 0.0},
                         {"output_mp", output_mp}}));
      if (!created) r.headers.emplace_back("Idempotent-Replayed", "true");
      return respond(std::move(r));
    }
    // Sync mode: answer with get_result's body once the job ends or the wait
    // is over, whichever comes first (no thread waits for it).
    struct Waiter {
      std::atomic<bool> answered{false};
      std::atomic<uint64_t> subscription{0};
      std::atomic<uint64_t> timer{0};
    };
    auto waiter = std::make_shared<Waiter>();
    auto answer = [this, respond, waiter, id = j.id, wait_seconds]() {
      if (waiter->answered.exchange(true)) return;
      timers_.Cancel(waiter->timer.load());
      StatusOr<std::shared_ptr<const Job>> now = service_.Get(id);
      if (!now.ok()) return respond(FromStatus(now.status()));
      ApiResponse r = ApiResponse::Json(200, ResultJson(**now));
      r.headers.emplace_back("Preference-Applied", "wait=" + std::to_string(wait_seconds));
      respond(std::move(r));
    };
    waiter->timer = timers_.Schedule(TimerQueue::Clock::now() + std::chrono::seconds(wait_seconds), [this, waiter, answer] {
      answer();
      events_.Unsubscribe(waiter->subscription.load());
    });
    waiter->subscription = events_.Subscribe(j.id, [this, waiter, answer](const JobEvent& e) {
      if (!e.terminal) return;
      answer();
      // Unsubscribing from inside the hub's callback is allowed (event_hub.h).
      events_.Unsubscribe(waiter->subscription.load());
    });
    // A job that finished before Subscribe returned was answered inside it,
    // before its subscription id was known.
    if (waiter->answered.load()) events_.Unsubscribe(waiter->subscription.load());
  };
}

void ApiHandler::GetResult(const ApiRequest& req, Responder respond) {
  std::optional<Tenant> tenant = Authenticate(req, respond);
  if (!tenant) return;
  auto it = req.query.find("id");
  if (it == req.query.end() || it->second.empty()) {
    return respond(ApiResponse::Json(
        422, ValidationErrorBody({FieldError{{"query", "id"}, "Field required", "missing"}})));
  }
  const std::string& id = it->second;
  StatusOr<std::shared_ptr<const Job>> job = service_.Get(id);
  if (!job.ok() || (*job)->tenant != tenant->name) {  // another tenant's job does not exist for this one
    if (job.ok() || job.status().code() == StatusCode::kNotFound) {
      return respond(ApiResponse::Json(200, DumpJson(json{{"id", id}, {"status", "Task not found"}, {"result", nullptr},
                                                      {"progress", nullptr}, {"details", nullptr}})));
    }
    return respond(FromStatus(job.status()));
  }
  respond(ApiResponse::Json(200, CachedResultJson(*job)));
}

std::string ApiHandler::CachedResultJson(const std::shared_ptr<const Job>& job) const {
  // A finished job's answer changes only when its signed URL does (each
  // minute): clients polling in tight loops get the same bytes, made once.
  if (!IsTerminal(job->state)) return ResultJson(*job);
  const int64_t minute = SigningPeriod();
  {
    std::shared_lock<std::shared_mutex> lock(sample_url_mutex_);
    auto it = result_bodies_.find(job->id);
    if (it != result_bodies_.end() && it->second.minute == minute && it->second.job == job) return it->second.body;
  }
  std::string body = ResultJson(*job);
  std::lock_guard<std::shared_mutex> lock(sample_url_mutex_);
  if (result_bodies_.size() > 100000) result_bodies_.clear();
  result_bodies_[job->id] = CachedBody{minute, job, body};
  return body;
}

void ApiHandler::Cancel(const ApiRequest& req, const std::string& id, Responder respond) {
  std::optional<Tenant> tenant = Authenticate(req, respond);
  if (!tenant) return;
  StatusOr<std::shared_ptr<const Job>> job = service_.Get(id);
  if (!job.ok() || (*job)->tenant != tenant->name) return respond(DetailResponse(404, "Task not found"));
  Status s = service_.Cancel(id);
  if (!s.ok()) return respond(FromStatus(s));
  StatusOr<std::shared_ptr<const Job>> now = service_.Get(id);
  const bool done = now.ok() && IsTerminal((*now)->state);
  respond(ApiResponse::Json(200, DumpJson(json{{"id", id}, {"status", done ? "cancelled" : "cancelling"}})));
}

void ApiHandler::Events(const ApiRequest& req, const std::string& id, Responder respond) {
  std::optional<Tenant> tenant = Authenticate(req, respond);
  if (!tenant) return;
  StatusOr<std::shared_ptr<const Job>> job = service_.Get(id);
  if (!job.ok() || (*job)->tenant != tenant->name) return respond(DetailResponse(404, "Task not found"));
  ApiResponse r;
  r.stream = [this, id, snapshot = *job](EmitFn emit) -> std::function<void()> {
    // Where the job is now, then every event until it ends.
    json now{{"status", std::string(BflStatus(snapshot->state))}, {"state", std::string(JobStateName(snapshot->state))},
             {"progress", snapshot->progress}};
    if (snapshot->state == JobState::kQueued) now["queue_position"] = service_.QueuePosition(id);
    if (IsTerminal(snapshot->state)) {
      now = json::parse(ResultJson(*snapshot));
      emit(SseEvent(snapshot->state == JobState::kReady ? "done" : "error", DumpJson(now)), true);
      return [] {};
    }
    emit(SseEvent("status", DumpJson(now)), false);
    const uint64_t subscription = events_.Subscribe(id, [emit](const JobEvent& e) {
      emit(SseEvent(e.type, e.data_json), e.terminal);
    });
    return [this, subscription] { events_.Unsubscribe(subscription); };
  };
  respond(std::move(r));
}

void ApiHandler::Sample(const ApiRequest& req, const std::string& id, const std::string& ext, Responder respond) {
  auto exp = req.query.find("exp");
  auto sig = req.query.find("sig");
  if (exp == req.query.end() || sig == req.query.end()) {
    return respond(DetailResponse(403, "this URL is not signed (exp and sig are required)"));
  }
  Status verified = signer_.Verify(id, ext, exp->second, sig->second, UnixSeconds());
  if (!verified.ok()) {
    return respond(DetailResponse(verified.code() == StatusCode::kDeadlineExceeded ? 410 : 403, verified.message()));
  }
  StatusOr<std::shared_ptr<const Job>> job = service_.Get(id);
  if (!job.ok() || (*job)->state != JobState::kReady) return respond(DetailResponse(404, "no image for this task"));
  StatusOr<std::string> bytes = blobs_.Get((*job)->blob_key);
  if (!bytes.ok()) return respond(FromStatus(bytes.status()));
  const ImageFormat format = ParseImageFormat((*job)->request.output_format).value_or(ImageFormat::kJpeg);
  ApiResponse r;
  r.content_type = std::string(ImageFormatMimeType(format));
  r.body = std::move(bytes).value();
  r.headers.emplace_back("Cache-Control", "private, max-age=" + std::to_string(signer_.ttl_seconds()));
  respond(std::move(r));
}

}  // namespace kiln
