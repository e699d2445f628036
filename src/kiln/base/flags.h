// Flags: the command-line parser of the kiln subcommands.
//
// Accepts "--name value", "--name=value" and boolean "--name"; anything not
// starting with "--" is a positional argument. Unknown flags and bad values
// are errors that name the flag, so every command fails the same clear way.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kiln/base/status.h"

namespace kiln {

struct FlagSpec {
  std::string name;   // without the dashes
  bool is_bool = false;
  std::string help;
};

class Flags {
 public:
  static StatusOr<Flags> Parse(int argc, char** argv, const std::vector<FlagSpec>& specs);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  const std::vector<std::string>& positional() const { return positional_; }

  StatusOr<std::string> GetString(const std::string& name) const;  // NotFound-style error when absent
  std::string GetString(const std::string& name, const std::string& fallback) const;
  StatusOr<int64_t> GetInt(const std::string& name, int64_t fallback, int64_t min, int64_t max) const;
  StatusOr<double> GetDouble(const std::string& name, double fallback) const;
  StatusOr<uint64_t> GetUint64(const std::string& name, uint64_t fallback) const;

  // "  --name  help" lines for a usage message.
  static std::string Usage(const std::vector<FlagSpec>& specs);

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace kiln
