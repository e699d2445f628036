#include "kiln/base/logging.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
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

// "2026-11-23T03:40:00.123Z"; the date and time part is formatted once a second per thread.
std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const int millis = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  thread_local std::time_t cached_secs = -1;
  thread_local char cached[32];
  if (secs != cached_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
    cached_secs = secs;
  }
  std::string out(cached);
  out.push_back('.');
  out.push_back(static_cast<char>('0' + millis / 100));
  out.push_back(static_cast<char>('0' + millis / 10 % 10));
  out.push_back(static_cast<char>('0' + millis % 10));
  out.push_back('Z');
  return out;
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

namespace {

// Buffered mode: info lines collect in memory and a flusher thread writes
// them in one write(2) every few milliseconds (a busy server logs a line per
// request; a syscall each would cost more than the request). Warnings and
// errors flush at once, with everything before them, so order is kept.
struct LogBuffer {
  std::mutex mutex;
  std::condition_variable wake;
  std::string pending;  // guarded by mutex
  bool enabled = false;  // guarded by mutex
  std::thread flusher;
};

LogBuffer& Buffer() {
  static LogBuffer* buffer = new LogBuffer();  // never destroyed: logging works during exit
  return *buffer;
}

void WriteAll(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

void FlushLocked(LogBuffer& b) {
  if (b.pending.empty()) return;
  WriteAll(b.pending);
  b.pending.clear();
}

}  // namespace

void WriteLogLine(const std::string& line, bool urgent) {
  LogBuffer& b = Buffer();
  std::unique_lock<std::mutex> lock(b.mutex);
  if (!b.enabled) {
    WriteAll(line);  // one write per line: concurrent lines never interleave
    return;
  }
  b.pending += line;
  if (urgent || b.pending.size() > (1u << 16)) FlushLocked(b);
}

void FlushLogs() {
  LogBuffer& b = Buffer();
  std::lock_guard<std::mutex> lock(b.mutex);
  FlushLocked(b);
}

void SetLogBuffered(bool buffered) {
  LogBuffer& b = Buffer();
  std::unique_lock<std::mutex> lock(b.mutex);
  if (buffered == b.enabled) return;
  b.enabled = buffered;
  if (buffered) {
    b.flusher = std::thread([&b] {
      std::string batch;
      std::unique_lock<std::mutex> lock(b.mutex);
      while (b.enabled) {
        b.wake.wait_for(lock, std::chrono::milliseconds(20));
        // Written outside the lock, so request threads never wait on the disk.
        batch.swap(b.pending);
        lock.unlock();
        WriteAll(batch);
        batch.clear();
        lock.lock();
      }
    });
    return;
  }
  FlushLocked(b);
  b.wake.notify_all();
  std::thread flusher = std::move(b.flusher);
  lock.unlock();
  if (flusher.joinable()) flusher.join();
}

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
    // {"ts":"...","level":"info","src":"file.cc:42"} built by hand: every field is plain ASCII.
    line.reserve(128 + message.size());
    line.append("{\"ts\":\"").append(Timestamp()).append("\",\"level\":\"").append(LevelName(level_));
    line.append("\",\"src\":\"").append(BaseName(file_)).append(":").append(std::to_string(line_)).append("\"}");
    if (message.size() >= 2 && message.front() == '{' && message.back() == '}') {
      // A structured event (already a JSON object): its fields join the line's.
      line.pop_back();
      if (message.size() > 2) line.append(",").append(message, 1, std::string::npos);
      else line.push_back('}');
    } else {
      line.pop_back();
      line.append(",\"msg\":").append(json(message).dump(-1, ' ', false, json::error_handler_t::replace)).push_back('}');
    }
    line.push_back('\n');
  } else {
    stream_ << '\n';
    line = stream_.str();
  }
  WriteLogLine(line, level_ >= LogLevel::kWarning);
}

}  // namespace kiln
