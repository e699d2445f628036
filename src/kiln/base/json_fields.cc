#include "kiln/base/json_fields.h"

namespace kiln {

StatusOr<nlohmann::json> JsonFields::ParseObject(const std::string& text, const std::string& context) {
  nlohmann::json object = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) return Status::InvalidArgument(context + ": not valid JSON");
  if (!object.is_object()) return Status::InvalidArgument(context + ": must be a JSON object");
  return object;
}

const nlohmann::json* JsonFields::Find(const std::string& name) {
  asked_.insert(name);
  auto it = object_.find(name);
  return it == object_.end() ? nullptr : &*it;
}

Status JsonFields::FieldError(const std::string& name, const std::string& problem) const {
  return Status::InvalidArgument(context_ + ": field '" + name + "' " + problem);
}

Status JsonFields::Int(const std::string& name, int64_t* out) {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_number_integer()) return FieldError(name, "must be an integer");
  *out = v->get<int64_t>();
  return Status::Ok();
}

Status JsonFields::Double(const std::string& name, double* out) {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_number()) return FieldError(name, "must be a number");
  *out = v->get<double>();
  return Status::Ok();
}

Status JsonFields::Float(const std::string& name, float* out) {
  double value = *out;
  KILN_RETURN_IF_ERROR(Double(name, &value));
  *out = static_cast<float>(value);
  return Status::Ok();
}

Status JsonFields::Bool(const std::string& name, bool* out) {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_boolean()) return FieldError(name, "must be true or false");
  *out = v->get<bool>();
  return Status::Ok();
}

Status JsonFields::String(const std::string& name, std::string* out) {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return FieldError(name, "must be a string");
  *out = v->get<std::string>();
  return Status::Ok();
}

Status JsonFields::IntList(const std::string& name, std::vector<int64_t>* out) {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_array()) return FieldError(name, "must be an array of integers");
  std::vector<int64_t> values;
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_number_integer()) return FieldError(name + "[" + std::to_string(i) + "]", "must be an integer");
    values.push_back((*v)[i].get<int64_t>());
  }
  *out = std::move(values);
  return Status::Ok();
}

Status JsonFields::StringList(const std::string& name, std::vector<std::string>* out) {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_array()) return FieldError(name, "must be an array of strings");
  std::vector<std::string> values;
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) return FieldError(name + "[" + std::to_string(i) + "]", "must be a string");
    values.push_back((*v)[i].get<std::string>());
  }
  *out = std::move(values);
  return Status::Ok();
}

Status JsonFields::Object(const std::string& name, const nlohmann::json** out) {
  const nlohmann::json* v = Find(name);
  if (v != nullptr && !v->is_object()) return FieldError(name, "must be an object");
  *out = v;
  return Status::Ok();
}

Status JsonFields::RejectUnknown() const {
  for (const auto& [key, value] : object_.items()) {
    if (asked_.count(key) == 0) return FieldError(key, "is not a known field");
  }
  return Status::Ok();
}

}  // namespace kiln
