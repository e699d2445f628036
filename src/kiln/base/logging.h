// The one logging call: KILN_LOG(kInfo) << "message"; one line to stderr,
// "I 2026-11-23T03:40:00.123Z file.cc:42] message", or, in the JSON format
// (`kiln serve` by default), one JSON object per line:
// {"ts":"2026-11-23T03:40:00.123Z","level":"info","src":"file.cc:42","msg":"message"}
// where a message that is itself a JSON object (starts with '{', ends with
// '}': structured events such as the access log) has its fields joined to
// the line's instead of being quoted as "msg".
// Thread-safe: each line is written with a single write(2).
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace kiln {

enum class LogLevel { kDebug = 0, kInfo, kWarning, kError };

// Lines below this level are dropped. Default kInfo.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();

enum class LogFormat { kText, kJson };
void SetLogFormat(LogFormat format);

// Buffered: info lines are written by a background thread every ~20 ms in one
// write(2); warnings and errors (and everything before them) at once. A
// crash may lose the last 20 ms of info lines. Off by default; SetLogBuffered(false)
// flushes and stops the thread (call it before exit).
void SetLogBuffered(bool buffered);
void FlushLogs();
// Writes one finished line (with its newline) the current way.
void WriteLogLine(const std::string& line, bool urgent);

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  const char* file_;
  int line_;
  std::ostringstream stream_;
};

}  // namespace kiln

#define KILN_LOG(level)                                      \
  if (::kiln::LogLevel::level < ::kiln::MinLogLevel()) {     \
  } else                                                     \
    ::kiln::LogMessage(::kiln::LogLevel::level, __FILE__, __LINE__).stream()
