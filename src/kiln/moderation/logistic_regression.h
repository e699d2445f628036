// FitLogisticRegression: L2-regularised, sample-weighted binary logistic
// regression for few examples of many features (a tenant's concept head:
// tens to hundreds of images, 1280 features each). Deterministic: the same
// inputs give the same bits. Thread-safe (no state).
//
// Minimises  Σ_i c_i · log(1 + exp(−y_i (w·x_i + b)))  +  (l2 / 2) · |w|²
// (y_i = ±1, the bias not regularised) by Newton's method in the span of the
// examples (w = Σ_i a_i x_i, which holds at the optimum for any L2 penalty):
// an (n + 1)-unknown linear system per step instead of (d + 1), so a fit of
// 50 examples takes milliseconds however many features they have.
#pragma once

#include <cstdint>
#include <vector>

namespace kiln {

struct LogisticFit {
  std::vector<double> weight;  // d
  double bias = 0;
  int iterations = 0;      // Newton steps taken
  bool converged = false;  // the step became negligible before the iteration cap
};

// x: (n, d) row-major; positive[i]: the label of row i; sample_weight: n
// positive numbers (c_i above). REQUIRES: n ≥ 2 with both labels present,
// l2 > 0, finite inputs.
LogisticFit FitLogisticRegression(const std::vector<double>& x, int n, int d, const std::vector<uint8_t>& positive,
                                  const std::vector<double>& sample_weight, double l2);

}  // namespace kiln
