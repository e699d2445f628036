#include "kiln/server/admin_route.h"

#include <nlohmann/json.hpp>

#include "kiln/base/clock.h"
#include "kiln/base/crypto.h"
#include "kiln/moderation/concept_head.h"
#include "kiln/moderation/policy.h"
#include "kiln/pipeline/image_decoder.h"
#include "kiln/server/api_responses.h"
#include "kiln/server/image_input.h"
#include "kiln/server/submit_request.h"

namespace kiln {
namespace {

using nlohmann::json;

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) parts.emplace_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

ApiResponse Unprocessable(std::vector<std::string> loc, const std::string& message) {
  return ApiResponse::Json(422, ValidationErrorBody({FieldError{std::move(loc), message, "value_error"}}));
}

}  // namespace

void AdminRoute::Handle(const ApiRequest& req, Responder respond, std::string* route) {
  *route = "/v1/admin";
  const std::string_view key = req.Header("x-key");
  if (key.empty()) return respond(DetailResponse(401, "the admin API needs an admin key in the x-key header"));
  StatusOr<bool> admin = store_.IsAdminKey(Sha256Hex(key));
  if (!admin.ok()) return respond(FromStatus(admin.status()));
  if (!*admin) return respond(DetailResponse(403, "this key is not an admin key"));

  // /v1/admin/tenants/{tenant}/policy, /v1/admin/tenants/{tenant}/concepts/{name}, /v1/admin/tasks/{id}/...
  const std::vector<std::string> parts = SplitPath(req.path);
  const std::string& m = req.method;
  if (parts.size() == 5 && parts[2] == "tenants" && parts[4] == "policy") {
    *route = "/v1/admin/tenants/{tenant}/policy";
    if (m == "GET") return GetPolicy(parts[3], std::move(respond));
    if (m == "PUT") return PutPolicy(parts[3], req.body, std::move(respond));
  } else if (parts.size() == 6 && parts[2] == "tenants" && parts[4] == "concepts") {
    *route = "/v1/admin/tenants/{tenant}/concepts/{name}";
    if (m == "PUT") return PutConcept(parts[3], parts[5], req.body, std::move(respond));
    if (m == "DELETE") return DeleteConcept(parts[3], parts[5], std::move(respond));
  } else if (parts.size() == 5 && parts[2] == "tasks" && m == "GET") {
    *route = "/v1/admin/tasks/{id}/" + parts[4];
    if (parts[4] == "moderation") return TaskModeration(parts[3], std::move(respond));
    if (parts[4] == "quarantine") return Quarantine(parts[3], std::move(respond));
  } else {
    return respond(DetailResponse(404, "Not Found"));
  }
  respond(DetailResponse(405, "method not allowed"));
}

void AdminRoute::GetPolicy(const std::string& tenant, Responder respond) {
  std::shared_ptr<const TenantModeration> m = policies_.For(tenant);
  json concepts = json::array();
  for (const ConceptHead& head : m->concepts) concepts.push_back(head.name);
  json policy = json::parse(m->policy_json, nullptr, /*allow_exceptions=*/false);
  respond(ApiResponse::Json(200, DumpJson(json{{"tenant", tenant},
                                               {"version", m->policy.version},
                                               {"is_default", m->is_default},
                                               {"policy", policy},
                                               {"concepts", concepts}})));
}

void AdminRoute::PutPolicy(const std::string& tenant, const std::string& body, Responder respond) {
  StatusOr<ModerationPolicy> policy = ModerationPolicy::Parse(body);
  if (!policy.ok()) return respond(Unprocessable({"body"}, policy.status().message()));
  moderation_.RunAsync([this, tenant, body, policy = std::move(policy).value(), respond](ImageChecker*,
                                                                                         ThreadPool&) mutable {
    const int version = policy.version;
    Status stored = store_.PutPolicy(StoredPolicy{tenant, version, body, UnixMillis()});
    if (!stored.ok()) return respond(FromStatus(stored));
    policies_.SetPolicy(tenant, std::move(policy), body);
    respond(ApiResponse::Json(200, DumpJson(json{{"tenant", tenant}, {"version", version}})));
  });
}

void AdminRoute::PutConcept(const std::string& tenant, const std::string& name, const std::string& body,
                            Responder respond) {
  if (!IsConceptCategory("concept/" + name)) {
    return respond(Unprocessable({"path", "name"}, "a concept name is 1 to 64 of a-z, 0-9, _ and -"));
  }
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return respond(Unprocessable({"body"}, "should be a JSON object"));
  // Resolved here (cheap: base64 and blob reads); decoded and embedded on the moderation thread.
  std::vector<std::string> images[2];
  const char* names[2] = {"positives", "negatives"};
  for (int c = 0; c < 2; ++c) {
    auto list = parsed.find(names[c]);
    if (list == parsed.end() || !list->is_array() || list->size() < 2 || list->size() > static_cast<size_t>(kMaxConceptExamplesPerClass)) {
      return respond(Unprocessable({"body", names[c]}, "should be a list of 2 to " + std::to_string(kMaxConceptExamplesPerClass) + " images"));
    }
    for (size_t i = 0; i < list->size(); ++i) {
      StatusOr<std::string> bytes = ResolveImageInput((*list)[i], "", jobs_, blobs_);
      if (!bytes.ok()) return respond(Unprocessable({"body", names[c], std::to_string(i)}, bytes.status().message()));
      images[c].push_back(std::move(bytes).value());
    }
  }
  moderation_.RunAsync([this, tenant, name, positives = std::move(images[0]), negatives = std::move(images[1]),
                        respond](ImageChecker* checker, ThreadPool& pool) {
    if (checker == nullptr) return respond(DetailResponse(503, "image moderation is not configured"));
    std::vector<std::vector<float>> features[2];
    const std::vector<std::string>* lists[2] = {&positives, &negatives};
    const char* names[2] = {"positives", "negatives"};
    std::vector<ModerationSignal> ignored;
    for (int c = 0; c < 2; ++c) {
      for (size_t i = 0; i < lists[c]->size(); ++i) {
        StatusOr<RgbImage> image = DecodeImage((*lists[c])[i], "image");
        std::vector<float> f;
        ignored.clear();
        Status s = image.status();
        if (s.ok()) s = checker->Check(pool, image->pixels.data(), image->width, image->height, {}, &ignored, &f);
        if (!s.ok()) return respond(Unprocessable({"body", names[c], std::to_string(i)}, s.message()));
        features[c].push_back(std::move(f));
      }
    }
    ConceptTrainingReport report;
    StatusOr<ConceptHead> head = TrainConceptHead(name, features[0], features[1], &report);
    if (!head.ok()) return respond(Unprocessable({"body"}, head.status().message()));
    Status stored = store_.PutConcept(StoredConcept{tenant, name, head->ToJson(), UnixMillis()});
    if (!stored.ok()) return respond(FromStatus(stored));
    policies_.SetConcept(tenant, std::move(head).value());
    respond(ApiResponse::Json(200, DumpJson(json{{"tenant", tenant},
                                                 {"name", name},
                                                 {"category", "concept/" + name},
                                                 {"positives", report.positives},
                                                 {"negatives", report.negatives},
                                                 {"train_accuracy", report.train_accuracy},
                                                 {"cv_accuracy", report.cv_accuracy}})));
  });
}

void AdminRoute::DeleteConcept(const std::string& tenant, const std::string& name, Responder respond) {
  moderation_.RunAsync([this, tenant, name, respond](ImageChecker*, ThreadPool&) {
    Status s = store_.DeleteConcept(tenant, name);
    if (!s.ok()) return respond(FromStatus(s));
    policies_.RemoveConcept(tenant, name);
    respond(ApiResponse::Json(200, DumpJson(json{{"tenant", tenant}, {"name", name}, {"deleted", true}})));
  });
}

void AdminRoute::TaskModeration(const std::string& id, Responder respond) {
  StatusOr<std::shared_ptr<const Job>> job = jobs_.Get(id);
  if (!job.ok()) return respond(FromStatus(job.status()));
  StatusOr<std::vector<ModerationAuditEntry>> entries = store_.ModerationAudit(id);
  if (!entries.ok()) return respond(FromStatus(entries.status()));
  json audit = json::array();
  for (const ModerationAuditEntry& e : *entries) {
    audit.push_back({{"stage", e.stage},
                     {"action", e.action},
                     {"policy_version", e.policy_version},
                     {"reasons", json::parse(e.reasons_json, nullptr, /*allow_exceptions=*/false)},
                     {"at_ms", e.at_ms}});
  }
  const bool held = blobs_.Get(QuarantineBlobKey(**job)).ok();
  respond(ApiResponse::Json(200, DumpJson(json{{"id", id},
                                               {"tenant", (*job)->tenant},
                                               {"state", std::string(JobStateName((*job)->state))},
                                               {"held_for_review", held},
                                               {"audit", audit}})));
}

void AdminRoute::Quarantine(const std::string& id, Responder respond) {
  StatusOr<std::shared_ptr<const Job>> job = jobs_.Get(id);
  if (!job.ok()) return respond(FromStatus(job.status()));
  StatusOr<std::string> bytes = blobs_.Get(QuarantineBlobKey(**job));
  if (!bytes.ok()) return respond(DetailResponse(404, "task " + id + " has no image held for review"));
  ApiResponse r;
  r.content_type = "image/png";
  r.body = std::move(bytes).value();
  r.headers.emplace_back("Cache-Control", "no-store");
  respond(std::move(r));
}

}  // namespace kiln
