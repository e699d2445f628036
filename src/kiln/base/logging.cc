#include "kiln/base/logging.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <string>

#include <nlohmann/json.hpp>

namespace kiln {
namespace {
std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<bool> g_json{false};

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "?";
}

// "2026-11-23T03:40:00.123Z"
std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const int millis = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[48];
  const size_t n = std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(stamp + n, sizeof(stamp) - n, ".%03dZ", millis);
  return stamp;
}

const char* BaseName(const char* file) {
  const char* base = std::strrchr(file, '/');
  return base ? base + 1 : file;
}

char LevelLetter(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return 'D';
    case LogLevel::kInfo: return 'I';
    case LogLevel::kWarning: return 'W';
    case LogLevel::kError: return 'E';
  }
  return '?';
}
}  // namespace

void SetMinLogLevel(LogLevel level) { g_min_level.store(static_cast<int>(level)); }
LogLevel MinLogLevel() { return static_cast<LogLevel>(g_min_level.load()); }

void SetLogFormat(LogFormat format) { g_json.store(format == LogFormat::kJson); }

LogMessage::LogMessage(LogLevel level, const char* file, int line) : level_(level), file_(file), line_(line) {
  if (!g_json.load()) {
    stream_ << LevelLetter(level_) << ' ' << Timestamp() << ' ' << BaseName(file) << ':' << line << "] ";
  }
}

LogMessage::~LogMessage() {
  std::string line;
  if (g_json.load()) {
    using nlohmann::json;
    const std::string message = stream_.str();
    json out{{"ts", Timestamp()}, {"level", LevelName(level_)},
             {"src", std::string(BaseName(file_)) + ":" + std::to_string(line_)}};
    json fields = message.empty() || message[0] != '{' ? json() : json::parse(message, nullptr, false);
    if (fields.is_object()) {
      out.update(fields);
    } else {
      out["msg"] = message;
    }
    line = out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  } else {
    stream_ << '\n';
    line = stream_.str();
  }
  // One write per line so concurrent lines never interleave.
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace kiln
