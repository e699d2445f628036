#include "kiln/base/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <type_traits>

#include "kiln/base/logging.h"

namespace kiln {
namespace {

// A CAS loop rather than atomic<double>::fetch_add: the same code libstdc++
// generates, and it builds with standard libraries that lack the C++20 overload.
void AtomicAdd(std::atomic<double>& target, double delta) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

// Numbers as Prometheus clients print them (Go's strconv 'g', shortest), except
// that integers below 2^53 print as plain integers: a counter at a million
// reads "1000000", not "1e+06".
std::string FormatNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  std::to_chars_result result;
  if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) {
    result = std::to_chars(buffer, buffer + sizeof(buffer), static_cast<int64_t>(value));
  } else if (std::fabs(value) < 1e-4 || std::fabs(value) >= 1e21) {
    result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  } else {
    result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed);
  }
  return std::string(buffer, result.ptr);
}

void AppendEscaped(std::string* out, std::string_view text, bool escape_quotes) {
  for (const char c : text) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (c == '"' && escape_quotes) {
      *out += "\\\"";
    } else {
      *out += c;
    }
  }
}

// {a="x",b="y"} with an optional trailing le="bound"; nothing when both are empty.
void AppendLabels(std::string* out, const MetricLabels& labels, const std::string* le = nullptr) {
  if (labels.empty() && le == nullptr) return;
  *out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) *out += ',';
    first = false;
    *out += name;
    *out += "=\"";
    AppendEscaped(out, value, /*escape_quotes=*/true);
    *out += '"';
  }
  if (le != nullptr) {
    if (!first) *out += ',';
    *out += "le=\"";
    *out += *le;
    *out += '"';
  }
  *out += '}';
}

void AppendSample(std::string* out, std::string_view name, const MetricLabels& labels, double value,
                  const std::string* le = nullptr) {
  *out += name;
  AppendLabels(out, labels, le);
  *out += ' ';
  *out += FormatNumber(value);
  *out += '\n';
}

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

enum class MetricType { kCounter, kGauge, kHistogram };

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

template <typename T>
constexpr MetricType TypeOf();
template <>
constexpr MetricType TypeOf<Counter>() { return MetricType::kCounter; }
template <>
constexpr MetricType TypeOf<Gauge>() { return MetricType::kGauge; }
template <>
constexpr MetricType TypeOf<Histogram>() { return MetricType::kHistogram; }

}  // namespace

void Counter::Increment(double value) {
  // A counter only goes up: Prometheus reads any decrease as a restart.
  if (!(value >= 0.0)) return;
  AtomicAdd(value_, value);
}

double Counter::Value() const { return value_.load(std::memory_order_relaxed); }

void Gauge::Set(double value) { value_.store(value, std::memory_order_relaxed); }
void Gauge::Add(double delta) { AtomicAdd(value_, delta); }
double Gauge::Value() const { return value_.load(std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  // Tolerate sloppy bounds rather than render an invalid histogram: sorted,
  // unique, finite (+Inf is always the implicit last bucket).
  bounds_.erase(std::remove_if(bounds_.begin(), bounds_.end(), [](double b) { return !std::isfinite(b); }),
                bounds_.end());
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  counts_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::Observe(double value) {
  // Buckets are "less than or equal": the first bound >= value. NaN compares
  // false with everything and so lands in +Inf.
  size_t bucket = bounds_.size();
  if (!std::isnan(value)) {
    bucket = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  }
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

uint64_t Histogram::Count() const {
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) total += counts_[i].load(std::memory_order_relaxed);
  return total;
}

double Histogram::Sum() const { return sum_.load(std::memory_order_relaxed); }

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> cumulative(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    cumulative[i] = running;
  }
  return cumulative;
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

struct MetricsRegistry::Impl {
  struct Family {
    MetricType type;
    std::string help;
    // Keyed by labels sorted by name, so {a,b} and {b,a} are one series and
    // samples render in a fixed order.
    std::map<MetricLabels, std::unique_ptr<Counter>> counters;
    std::map<MetricLabels, std::unique_ptr<Gauge>> gauges;
    std::map<MetricLabels, std::unique_ptr<Histogram>> histograms;

    template <typename T>
    std::map<MetricLabels, std::unique_ptr<T>>& Series() {
      if constexpr (std::is_same_v<T, Counter>) {
        return counters;
      } else if constexpr (std::is_same_v<T, Gauge>) {
        return gauges;
      } else {
        return histograms;
      }
    }
  };

  mutable std::mutex mutex;
  std::map<std::string, Family, std::less<>> families;
  // Handed out instead of crashing when a caller misuses a name; never rendered.
  Counter dummy_counter;
  Gauge dummy_gauge;
  Histogram dummy_histogram{LatencyBuckets()};
  std::set<std::string, std::less<>> reported_misuse;

  template <typename T>
  T& Dummy() {
    if constexpr (std::is_same_v<T, Counter>) {
      return dummy_counter;
    } else if constexpr (std::is_same_v<T, Gauge>) {
      return dummy_gauge;
    } else {
      return dummy_histogram;
    }
  }

  // Logs a misuse the first time it is seen for name; REQUIRES: mutex held.
  void ReportMisuse(std::string_view name, std::string_view problem) {
    if (reported_misuse.insert(std::string(name)).second) {
      KILN_LOG(kError) << "metric " << name << ": " << problem << "; updates to it are dropped";
    }
  }

  // The error in (name, labels), or empty when they are valid.
  static std::string Validate(std::string_view name, const MetricLabels& labels, MetricType type) {
    if (!IsValidName(name, /*allow_colon=*/true)) return "invalid metric name";
    for (size_t i = 0; i < labels.size(); ++i) {
      const std::string& label = labels[i].first;
      if (!IsValidName(label, /*allow_colon=*/false) || label.rfind("__", 0) == 0) {
        return "invalid label name \"" + label + "\"";
      }
      if (type == MetricType::kHistogram && label == "le") return "a histogram cannot have an \"le\" label";
      if (i > 0 && labels[i - 1].first == label) return "duplicate label name \"" + label + "\"";
    }
    return {};
  }

  template <typename T, typename MakeMetric>
  T& GetOrCreate(std::string_view name, std::string_view help, const MetricLabels& labels, MakeMetric make) {
    constexpr MetricType type = TypeOf<T>();
    MetricLabels key = labels;
    std::sort(key.begin(), key.end());
    std::lock_guard<std::mutex> lock(mutex);
    if (const std::string error = Validate(name, key, type); !error.empty()) {
      ReportMisuse(name, error);
      return Dummy<T>();
    }
    auto family = families.find(name);
    if (family == families.end()) {
      family = families.emplace(std::string(name), Family{type, std::string(help), {}, {}, {}}).first;
    } else if (family->second.type != type) {
      ReportMisuse(name, std::string("asked for as a ") + std::string(TypeName(type)) + " but it is a " +
                             std::string(TypeName(family->second.type)));
      return Dummy<T>();
    }
    auto& series = family->second.template Series<T>();
    auto it = series.find(key);
    if (it == series.end()) it = series.emplace(std::move(key), make()).first;
    return *it->second;
  }
};

MetricsRegistry::MetricsRegistry() : impl_(std::make_unique<Impl>()) {}
MetricsRegistry::~MetricsRegistry() = default;

Counter& MetricsRegistry::GetCounter(std::string_view name, std::string_view help, const MetricLabels& labels) {
  return impl_->GetOrCreate<Counter>(name, help, labels, [] { return std::make_unique<Counter>(); });
}

Gauge& MetricsRegistry::GetGauge(std::string_view name, std::string_view help, const MetricLabels& labels) {
  return impl_->GetOrCreate<Gauge>(name, help, labels, [] { return std::make_unique<Gauge>(); });
}

Histogram& MetricsRegistry::GetHistogram(std::string_view name, std::string_view help, const MetricLabels& labels,
                                         const std::vector<double>& bounds) {
  return impl_->GetOrCreate<Histogram>(name, help, labels, [&] { return std::make_unique<Histogram>(bounds); });
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  std::string out;
  for (const auto& [name, family] : impl_->families) {
    out += "# HELP ";
    out += name;
    out += ' ';
    AppendEscaped(&out, family.help, /*escape_quotes=*/false);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += TypeName(family.type);
    out += '\n';
    for (const auto& [labels, counter] : family.counters) AppendSample(&out, name, labels, counter->Value());
    for (const auto& [labels, gauge] : family.gauges) AppendSample(&out, name, labels, gauge->Value());
    for (const auto& [labels, histogram] : family.histograms) {
      const std::vector<uint64_t> cumulative = histogram->CumulativeCounts();
      const std::vector<double>& bounds = histogram->bounds();
      const std::string bucket_name = name + "_bucket";
      for (size_t i = 0; i < cumulative.size(); ++i) {
        const std::string le = i < bounds.size() ? FormatNumber(bounds[i]) : "+Inf";
        AppendSample(&out, bucket_name, labels, static_cast<double>(cumulative[i]), &le);
      }
      AppendSample(&out, name + "_sum", labels, histogram->Sum());
      // From the same snapshot as the buckets, so _count always equals the +Inf bucket.
      AppendSample(&out, name + "_count", labels, static_cast<double>(cumulative.back()));
    }
  }
  return out;
}

}  // namespace kiln
