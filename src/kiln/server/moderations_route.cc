#include "kiln/server/moderations_route.h"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "kiln/base/clock.h"
#include "kiln/moderation/decision_json.h"
#include "kiln/server/api_responses.h"
#include "kiln/server/image_input.h"
#include "kiln/server/submit_request.h"

namespace kiln {
namespace {

using nlohmann::json;

struct Item {
  bool is_image = false;
  std::string input;  // text, or image bytes
};

// One result in OpenAI's shape plus Kiln's decision.
json ResultJson(const ModerationVerdict& v, const char* input_type) {
  json categories = json::object(), scores = json::object(), applied = json::object();
  for (const std::string& c : ModerationCategories()) {
    categories[c] = false;
    scores[c] = 0.0;
    applied[c] = json::array();
  }
  for (const ModerationSignal& s : v.signals) {
    if (!scores.contains(s.category)) {
      categories[s.category] = false;
      applied[s.category] = json::array();
      scores[s.category] = 0.0;
    }
    scores[s.category] = std::max(scores[s.category].get<double>(), std::round(s.score * 1e6) / 1e6);
    if (applied[s.category].empty()) applied[s.category].push_back(input_type);
  }
  for (const std::string& c : v.decision.categories) categories[c] = true;
  return {{"flagged", v.decision.action != ModerationAction::kAllow},
          {"categories", categories},
          {"category_scores", scores},
          {"category_applied_input_types", applied},
          {"kiln", DecisionJson(v.decision, input_type, v.policy_version)}};
}

}  // namespace

void ModerationsRoute::Handle(const ApiRequest& req, const Tenant& tenant, Responder respond) {
  std::vector<FieldError> errors;
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    return respond(ApiResponse::Json(
        422, ValidationErrorBody({FieldError{{"body"}, "Input should be a valid JSON object", "model_attributes_type"}})));
  }
  int tolerance = 2;
  if (auto it = body.find("safety_tolerance"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 6) {
      errors.push_back({{"body", "safety_tolerance"}, "Input should be an integer from 0 to 6", "int_type"});
    } else {
      tolerance = static_cast<int>(it->get<int64_t>());
    }
  }
  std::vector<Item> items;
  auto add_text = [&](std::string text, std::vector<std::string> loc) {
    if (text.size() > kMaxModerationTextBytes) {
      errors.push_back({std::move(loc), "a text is at most 16384 bytes", "string_too_long"});
    } else {
      items.push_back({false, std::move(text)});
    }
  };
  auto it = body.find("input");
  if (it == body.end() || it->is_null()) {
    errors.push_back({{"body", "input"}, "Field required", "missing"});
  } else if (it->is_string()) {
    add_text(it->get<std::string>(), {"body", "input"});
  } else if (it->is_array() && !it->empty() && it->size() <= kMaxModerationInputs) {
    for (size_t i = 0; i < it->size(); ++i) {
      const json& e = (*it)[i];
      const std::string index = std::to_string(i);
      if (e.is_string()) {
        add_text(e.get<std::string>(), {"body", "input", index});
        continue;
      }
      const std::string type = e.is_object() && e.contains("type") && e["type"].is_string() ? e["type"].get<std::string>() : "";
      if (type == "text" && e.contains("text") && e["text"].is_string()) {
        add_text(e["text"].get<std::string>(), {"body", "input", index, "text"});
      } else if (type == "image_url" || type == "kiln_result") {
        StatusOr<std::string> bytes = ResolveImageInput(e, tenant.name, jobs_, blobs_);
        if (!bytes.ok()) {
          errors.push_back({{"body", "input", index}, bytes.status().message(), "value_error"});
        } else {
          items.push_back({true, std::move(bytes).value()});
        }
      } else {
        errors.push_back({{"body", "input", index},
                          "should be a string or an object of type text, image_url or kiln_result", "value_error"});
      }
    }
  } else {
    errors.push_back({{"body", "input"},
                      "should be a string or a list of 1 to " + std::to_string(kMaxModerationInputs) + " items",
                      "value_error"});
  }
  if (!errors.empty()) return respond(ApiResponse::Json(422, ValidationErrorBody(errors)));

  // Answered when the last check is done, from the moderation thread.
  struct Pending {
    std::mutex mu;
    std::vector<ModerationVerdict> verdicts;
    std::vector<const char*> types;
    std::atomic<size_t> left{0};
  };
  auto pending = std::make_shared<Pending>();
  pending->verdicts.resize(items.size());
  pending->left = items.size();
  for (const Item& item : items) pending->types.push_back(item.is_image ? "image" : "text");
  const std::string request_id = req.request_id;
  for (size_t i = 0; i < items.size(); ++i) {
    auto done = [this, pending, i, respond, tenant_name = tenant.name, request_id](ModerationVerdict v) {
      if (v.checked) {
        jobs_.RecordModeration(ModerationAuditEntry{"", tenant_name, pending->types[i],
                                                    std::string(ModerationActionName(v.decision.action)),
                                                    v.policy_version, ReasonsJson(v.decision).dump(), UnixMillis()});
      }
      {
        std::lock_guard<std::mutex> lock(pending->mu);
        pending->verdicts[i] = std::move(v);
      }
      if (pending->left.fetch_sub(1) != 1) return;
      json results = json::array();
      for (size_t k = 0; k < pending->verdicts.size(); ++k) {
        const ModerationVerdict& verdict = pending->verdicts[k];
        if (verdict.status.code() == StatusCode::kInvalidArgument) {  // an undecodable image
          return respond(ApiResponse::Json(
              422, ValidationErrorBody({FieldError{{"body", "input", std::to_string(k)}, verdict.status.message(),
                                                   "value_error"}})));
        }
        if (!verdict.status.ok()) return respond(FromStatus(verdict.status));
        results.push_back(ResultJson(verdict, pending->types[k]));
      }
      respond(ApiResponse::Json(
          200, DumpJson(json{{"id", "modr-" + request_id}, {"model", "kiln-moderation"}, {"results", results}})));
    };
    if (items[i].is_image) {
      moderation_.CheckImageAsync(tenant.name, std::move(items[i].input), tolerance, "image", false, std::move(done));
    } else {
      moderation_.CheckTextAsync(tenant.name, std::move(items[i].input), tolerance, "text", std::move(done));
    }
  }
}

}  // namespace kiln
