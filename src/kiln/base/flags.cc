#include "kiln/base/flags.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace kiln {

StatusOr<Flags> Flags::Parse(int argc, char** argv, const std::vector<FlagSpec>& specs) {
  Flags flags;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      flags.positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) return Status::InvalidArgument("unknown flag --" + name);
    if (spec->is_bool) {
      if (has_value && value != "true" && value != "false") {
        return Status::InvalidArgument("--" + name + " takes no value (or =true / =false)");
      }
      if (!has_value) value = "true";
    } else if (!has_value) {
      if (i + 1 >= argc) return Status::InvalidArgument("--" + name + " needs a value");
      value = argv[++i];
    }
    flags.values_[name] = value;
  }
  return flags;
}

StatusOr<std::string> Flags::GetString(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return Status::InvalidArgument("--" + name + " is required");
  return it->second;
}

std::string Flags::GetString(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

StatusOr<int64_t> Flags::GetInt(const std::string& name, int64_t fallback, int64_t min, int64_t max) const {
  auto it = values_.find(name);
  int64_t value = fallback;
  if (it != values_.end()) {
    char* end = nullptr;
    errno = 0;
    const long long parsed = std::strtoll(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || errno == ERANGE) {
      return Status::InvalidArgument("--" + name + ": '" + it->second + "' is not an integer");
    }
    value = parsed;
  }
  if (value < min || value > max) {
    return Status::InvalidArgument("--" + name + ": " + std::to_string(value) + " is outside [" +
                                   std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return value;
}

StatusOr<uint64_t> Flags::GetUint64(const std::string& name, uint64_t fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  char* end = nullptr;
  errno = 0;
  const unsigned long long parsed = std::strtoull(it->second.c_str(), &end, 10);
  if (it->second.empty() || it->second[0] == '-' || *end != '\0' || errno == ERANGE) {
    return Status::InvalidArgument("--" + name + ": '" + it->second + "' is not a non-negative 64-bit integer");
  }
  return static_cast<uint64_t>(parsed);
}

StatusOr<double> Flags::GetDouble(const std::string& name, double fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  char* end = nullptr;
  errno = 0;
  const double parsed = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(parsed)) {
    return Status::InvalidArgument("--" + name + ": '" + it->second + "' is not a finite number");
  }
  return parsed;
}

std::string Flags::Usage(const std::vector<FlagSpec>& specs) {
  std::string out;
  for (const FlagSpec& s : specs) {
    std::string left = "  --" + s.name + (s.is_bool ? "" : " VALUE");
    if (left.size() < 26) left.resize(26, ' ');
    out += left + " " + s.help + "\n";
  }
  return out;
}

}  // namespace kiln
