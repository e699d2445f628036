// Metrics: counters, gauges and histograms with labels, rendered in the
// Prometheus text exposition format (version 0.0.4) for GET /metrics.
//
// Families are created on first use and live as long as the registry; a
// returned Counter&/Gauge&/Histogram& stays valid, so hot paths look it up
// once and keep the reference. Updates are lock-free (atomics); lookups and
// rendering take a mutex. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Increment(double value = 1.0);
  double Value() const;
 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void Set(double value);
  void Add(double delta);
  double Value() const;
 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // bounds: the upper bounds of the buckets, increasing (+Inf is implicit).
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  uint64_t Count() const;
  double Sum() const;
  // Cumulative counts per bound, then +Inf.
  std::vector<uint64_t> CumulativeCounts() const;
  const std::vector<double>& bounds() const { return bounds_; }
 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<double> sum_{0.0};
};

// Buckets for latencies in seconds: 0.5 ms … 60 s.
std::vector<double> LatencyBuckets();

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  // name: [a-zA-Z_:][a-zA-Z0-9_:]*; the same name always has the same type
  // and help (the first call's). Label values are escaped when rendered.
  Counter& GetCounter(std::string_view name, std::string_view help, const MetricLabels& labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, const MetricLabels& labels = {});
  Histogram& GetHistogram(std::string_view name, std::string_view help, const MetricLabels& labels = {},
                          const std::vector<double>& bounds = LatencyBuckets());

  // Every family, sorted by name, with # HELP and # TYPE lines.
  std::string RenderPrometheus() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln
