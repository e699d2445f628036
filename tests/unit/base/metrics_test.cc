#include "kiln/base/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace kiln {
namespace {

// The one sample line of a single-gauge registry holding value.
std::string RenderGaugeSample(double value) {
  MetricsRegistry registry;
  registry.GetGauge("g", "h").Set(value);
  const std::string text = registry.RenderPrometheus();
  const std::string prefix = "# HELP g h\n# TYPE g gauge\ng ";
  EXPECT_EQ(text.rfind(prefix, 0), 0u) << text;
  return text.substr(prefix.size(), text.size() - prefix.size() - 1);
}

TEST(MetricsTest, RendersPrometheusTextExactly) {
  MetricsRegistry registry;
  registry.GetHistogram("kiln_step_seconds", "Time per step.", {{"model", "flux"}}, {0.1, 0.5, 1});
  registry.GetCounter("kiln_requests_total", "Requests served.", {{"route", "/v1/images"}, {"code", "200"}})
      .Increment(3);
  // The same series with its labels in another order.
  registry.GetCounter("kiln_requests_total", "ignored", {{"code", "200"}, {"route", "/v1/images"}}).Increment(2);
  registry.GetCounter("kiln_requests_total", "ignored", {{"code", "500"}, {"route", "/v1/images"}}).Increment();
  registry.GetGauge("kiln_queue_depth", "Jobs waiting.").Set(7);
  registry.GetGauge("kiln_info", "Build \"info\" \\ with\nnewline", {{"version", "a\"b\\c\nd"}}).Set(1);
  Histogram& steps = registry.GetHistogram("kiln_step_seconds", "ignored", {{"model", "flux"}});
  for (double seconds : {0.25, 0.5, 0.75, 3.0}) steps.Observe(seconds);

  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP kiln_info Build \"info\" \\\\ with\\nnewline\n"
            "# TYPE kiln_info gauge\n"
            "kiln_info{version=\"a\\\"b\\\\c\\nd\"} 1\n"
            "# HELP kiln_queue_depth Jobs waiting.\n"
            "# TYPE kiln_queue_depth gauge\n"
            "kiln_queue_depth 7\n"
            "# HELP kiln_requests_total Requests served.\n"
            "# TYPE kiln_requests_total counter\n"
            "kiln_requests_total{code=\"200\",route=\"/v1/images\"} 5\n"
            "kiln_requests_total{code=\"500\",route=\"/v1/images\"} 1\n"
            "# HELP kiln_step_seconds Time per step.\n"
            "# TYPE kiln_step_seconds histogram\n"
            "kiln_step_seconds_bucket{model=\"flux\",le=\"0.1\"} 0\n"
            "kiln_step_seconds_bucket{model=\"flux\",le=\"0.5\"} 2\n"
            "kiln_step_seconds_bucket{model=\"flux\",le=\"1\"} 3\n"
            "kiln_step_seconds_bucket{model=\"flux\",le=\"+Inf\"} 4\n"
            "kiln_step_seconds_sum{model=\"flux\"} 4.5\n"
            "kiln_step_seconds_count{model=\"flux\"} 4\n");
}

TEST(MetricsTest, UnlabeledHistogramHasOnlyTheLeLabel) {
  MetricsRegistry registry;
  registry.GetHistogram("latency_seconds", "Latency.").Observe(0.003);
  const std::string text = registry.RenderPrometheus();
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.0005\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.0025\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"60\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_sum 0.003\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_count 1\n"), std::string::npos) << text;
}

TEST(MetricsTest, FormatsNumbersWithoutExponentNoise) {
  EXPECT_EQ(RenderGaugeSample(0), "0");
  EXPECT_EQ(RenderGaugeSample(-0.0), "0");
  EXPECT_EQ(RenderGaugeSample(42), "42");
  EXPECT_EQ(RenderGaugeSample(1e6), "1000000");
  EXPECT_EQ(RenderGaugeSample(-123456789012.0), "-123456789012");
  EXPECT_EQ(RenderGaugeSample(0.1), "0.1");
  EXPECT_EQ(RenderGaugeSample(-2.5), "-2.5");
  EXPECT_EQ(RenderGaugeSample(0.0005), "0.0005");
  EXPECT_EQ(RenderGaugeSample(1.5e-7), "1.5e-07");
  EXPECT_EQ(RenderGaugeSample(1e300), "1e+300");
  EXPECT_EQ(RenderGaugeSample(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(RenderGaugeSample(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(RenderGaugeSample(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(MetricsTest, ReferencesStayValidAsTheRegistryGrows) {
  MetricsRegistry registry;
  Counter& first = registry.GetCounter("c_total", "help", {{"i", "0"}});
  Histogram& histogram = registry.GetHistogram("h_seconds", "help");
  for (int i = 1; i < 1000; ++i) {
    registry.GetCounter("c_total", "help", {{"i", std::to_string(i)}});
    registry.GetGauge("g_" + std::to_string(i) + "_level", "help");
  }
  EXPECT_EQ(&registry.GetCounter("c_total", "help", {{"i", "0"}}), &first);
  EXPECT_EQ(&registry.GetHistogram("h_seconds", "help"), &histogram);
  first.Increment(2);
  EXPECT_EQ(registry.GetCounter("c_total", "help", {{"i", "0"}}).Value(), 2);
}

TEST(MetricsTest, AWrongTypeGetsADummyInsteadOfACrash) {
  MetricsRegistry registry;
  registry.GetCounter("jobs_total", "Jobs.").Increment(4);
  Gauge& wrong = registry.GetGauge("jobs_total", "Jobs.");
  wrong.Set(100);
  Histogram& also_wrong = registry.GetHistogram("jobs_total", "Jobs.");
  also_wrong.Observe(1);
  // Asking again does not crash (and logs nothing new).
  EXPECT_EQ(&registry.GetGauge("jobs_total", "Jobs."), &wrong);
  EXPECT_EQ(registry.RenderPrometheus(), "# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 4\n");
}

TEST(MetricsTest, InvalidNamesAndLabelsAreNotRendered) {
  MetricsRegistry registry;
  registry.GetCounter("1starts_with_digit", "x").Increment();
  registry.GetCounter("has-dash", "x").Increment();
  registry.GetCounter("", "x").Increment();
  registry.GetCounter("ok_total", "x", {{"bad-label", "v"}}).Increment();
  registry.GetCounter("ok_total", "x", {{"__reserved", "v"}}).Increment();
  registry.GetCounter("ok_total", "x", {{"a", "1"}, {"a", "2"}}).Increment();
  registry.GetHistogram("ok_seconds", "x", {{"le", "1"}}).Observe(1);
  EXPECT_EQ(registry.RenderPrometheus(), "");
  registry.GetCounter("name:with_colon", "x").Increment();
  EXPECT_EQ(registry.RenderPrometheus(), "# HELP name:with_colon x\n# TYPE name:with_colon counter\nname:with_colon 1\n");
}

TEST(MetricsTest, CounterIgnoresNegativeIncrements) {
  Counter counter;
  counter.Increment(2.5);
  counter.Increment(-1);
  counter.Increment(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(counter.Value(), 2.5);
}

TEST(MetricsTest, GaugeSetsAndAdds) {
  Gauge gauge;
  gauge.Set(3);
  gauge.Add(-5);
  gauge.Add(0.5);
  EXPECT_EQ(gauge.Value(), -1.5);
}

TEST(MetricsTest, ConcurrentUpdatesSumExactly) {
  MetricsRegistry registry;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&registry, t] {
      // Lookups race too: every thread must get the same series.
      Counter& counter = registry.GetCounter("ops_total", "Ops.");
      Gauge& gauge = registry.GetGauge("level", "Level.");
      Histogram& histogram = registry.GetHistogram("op_seconds", "Op time.", {}, {1, 2});
      for (int i = 0; i < kPerThread; ++i) {
        counter.Increment();
        gauge.Add(t % 2 == 0 ? 0.5 : -0.25);
        histogram.Observe(static_cast<double>(i % 3));  // 0, 1, 2: all land on a bound
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(registry.GetCounter("ops_total", "Ops.").Value(), kThreads * kPerThread);
  EXPECT_EQ(registry.GetGauge("level", "Level.").Value(), 2 * kPerThread * 0.5 - 2 * kPerThread * 0.25);
  const Histogram& histogram = registry.GetHistogram("op_seconds", "Op time.", {}, {1, 2});
  EXPECT_EQ(histogram.Count(), static_cast<uint64_t>(kThreads * kPerThread));
  // Per thread: i % 3 == 0 for 33334 values, 1 and 2 for 33333 each.
  const std::vector<uint64_t> cumulative = histogram.CumulativeCounts();
  ASSERT_EQ(cumulative.size(), 3u);
  EXPECT_EQ(cumulative[0], kThreads * (33334u + 33333u));
  EXPECT_EQ(cumulative[1], kThreads * 100000u);
  EXPECT_EQ(cumulative[2], kThreads * 100000u);
  EXPECT_EQ(histogram.Sum(), kThreads * (33333.0 * 1 + 33333.0 * 2));
}

TEST(HistogramTest, BucketsAreCumulativeAndInclusive) {
  Histogram histogram({1, 2, 5});
  for (double value : {-3.0, 0.0, 1.0, 1.0001, 2.0, 4.9, 5.0, 5.1, 1e9}) histogram.Observe(value);
  EXPECT_EQ(histogram.Count(), 9u);
  EXPECT_EQ(histogram.CumulativeCounts(), (std::vector<uint64_t>{3, 5, 7, 9}));
  EXPECT_DOUBLE_EQ(histogram.Sum(), -3.0 + 0.0 + 1.0 + 1.0001 + 2.0 + 4.9 + 5.0 + 5.1 + 1e9);
}

TEST(HistogramTest, NanLandsInTheInfBucket) {
  Histogram histogram({1});
  histogram.Observe(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(histogram.CumulativeCounts(), (std::vector<uint64_t>{0, 1}));
  EXPECT_TRUE(std::isnan(histogram.Sum()));
}

TEST(HistogramTest, SloppyBoundsAreSortedAndDeduplicated) {
  Histogram histogram({5, 1, 1, std::numeric_limits<double>::infinity(), 2});
  EXPECT_EQ(histogram.bounds(), (std::vector<double>{1, 2, 5}));
  histogram.Observe(3);
  EXPECT_EQ(histogram.CumulativeCounts(), (std::vector<uint64_t>{0, 0, 1, 1}));
}

TEST(HistogramTest, LatencyBuckets) {
  EXPECT_EQ(LatencyBuckets(), (std::vector<double>{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                   1, 2.5, 5, 10, 30, 60}));
  Histogram histogram(LatencyBuckets());
  EXPECT_EQ(histogram.CumulativeCounts().size(), 17u);
}

}  // namespace
}  // namespace kiln
