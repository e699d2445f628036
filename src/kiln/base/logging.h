// The one logging call: KILN_LOG(kInfo) << "message"; one line to stderr,
// "I 2026-11-23T03:40:00.123Z file.cc:42] message". Thread-safe: each line
// is written with a single write(2).
#pragma once

#include <sstream>
#include <string_view>

namespace kiln {

enum class LogLevel { kDebug = 0, kInfo, kWarning, kError };

// Lines below this level are dropped. Default kInfo.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace kiln

#define KILN_LOG(level)                                      \
  if (::kiln::LogLevel::level < ::kiln::MinLogLevel()) {     \
  } else                                                     \
    ::kiln::LogMessage(::kiln::LogLevel::level, __FILE__, __LINE__).stream()
