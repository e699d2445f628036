// JsonFields: typed reads of the optional fields of one JSON object, with
// errors that name the field ("flux config: field 'depth' must be an
// integer"). Every config FromJson in the codebase reads through it, so they
// all accept and refuse the same way: integers must be integers (no 32.0, no
// true), absent fields keep the caller's default, and RejectUnknown() refuses
// fields nobody asked for (a typo must not silently keep a default).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/base/status.h"

namespace kiln {

class JsonFields {
 public:
  // Parses text; the error names context ("flux config: not valid JSON").
  static StatusOr<nlohmann::json> ParseObject(const std::string& text, const std::string& context);

  // REQUIRES: object.is_object(); object outlives this.
  JsonFields(const nlohmann::json& object, std::string context) : object_(object), context_(std::move(context)) {}

  // Each leaves *out unchanged when the field is absent.
  Status Int(const std::string& name, int64_t* out);
  Status Double(const std::string& name, double* out);
  Status Float(const std::string& name, float* out);
  Status Bool(const std::string& name, bool* out);
  Status String(const std::string& name, std::string* out);
  Status IntList(const std::string& name, std::vector<int64_t>* out);
  Status StringList(const std::string& name, std::vector<std::string>* out);
  // A nested object: *out points into the parsed JSON, or is nullptr when absent.
  Status Object(const std::string& name, const nlohmann::json** out);

  // An error naming the first field of the object that no call above asked for.
  Status RejectUnknown() const;
  // "<context>: field '<name>' <problem>"
  Status FieldError(const std::string& name, const std::string& problem) const;

 private:
  const nlohmann::json* Find(const std::string& name);

  const nlohmann::json& object_;
  std::string context_;
  std::set<std::string> asked_;
};

}  // namespace kiln
