#include "kiln/moderation/logistic_regression.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace kiln {
namespace {

constexpr int kMaxNewtonSteps = 100;
constexpr int kMaxHalvings = 40;
// Stop when half the Newton decrement (the predicted decrease of the objective,
// which starts at log 2 ≈ 0.69) is below this: far below any score's resolution.
constexpr double kDecrementTolerance = 1e-13;

double Sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)); }

// log(1 + exp(z)) without overflow.
double Softplus(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z))); }

// Solves m · u = rhs in place (u returned in rhs) by Gaussian elimination with
// partial pivoting; m is (size, size) row-major. False when m is singular.
bool SolveInPlace(std::vector<double>& m, std::vector<double>& rhs, int size) {
  const auto at = [&](int r, int c) -> double& { return m[static_cast<size_t>(r) * size + c]; };
  for (int col = 0; col < size; ++col) {
    int pivot = col;
    for (int r = col + 1; r < size; ++r) {
      if (std::abs(at(r, col)) > std::abs(at(pivot, col))) pivot = r;
    }
    if (at(pivot, col) == 0.0) return false;
    if (pivot != col) {
      for (int c = 0; c < size; ++c) std::swap(at(pivot, c), at(col, c));
      std::swap(rhs[pivot], rhs[col]);
    }
    const double inv = 1.0 / at(col, col);
    for (int r = col + 1; r < size; ++r) {
      const double f = at(r, col) * inv;
      if (f == 0.0) continue;
      for (int c = col; c < size; ++c) at(r, c) -= f * at(col, c);
      rhs[r] -= f * rhs[col];
    }
  }
  for (int r = size - 1; r >= 0; --r) {
    double v = rhs[r];
    for (int c = r + 1; c < size; ++c) v -= at(r, c) * rhs[c];
    rhs[r] = v / at(r, r);
  }
  return true;
}

// The problem in the span of the examples: w = Σ a_i x_i, so every score is
// s = K a + b with K the Gram matrix, and |w|² = aᵀ K a.
struct SpanProblem {
  int n = 0;
  std::vector<double> gram;  // (n, n)
  std::vector<double> sign;  // y_i = ±1
  std::vector<double> c;     // sample weights
  double l2 = 0;

  void Scores(const std::vector<double>& a, double b, std::vector<double>* s) const {
    s->assign(n, b);
    for (int i = 0; i < n; ++i) {
      const double* row = &gram[static_cast<size_t>(i) * n];
      double v = 0;
      for (int j = 0; j < n; ++j) v += row[j] * a[j];
      (*s)[i] += v;
    }
  }

  double Objective(const std::vector<double>& a, double b, std::vector<double>* s) const {
    Scores(a, b, s);
    double loss = 0, norm2 = 0;
    for (int i = 0; i < n; ++i) {
      loss += c[i] * Softplus(-sign[i] * (*s)[i]);
      norm2 += a[i] * ((*s)[i] - b);  // aᵀ K a
    }
    return loss + 0.5 * l2 * norm2;
  }
};

}  // namespace

LogisticFit FitLogisticRegression(const std::vector<double>& x, int n, int d, const std::vector<uint8_t>& positive,
                                  const std::vector<double>& sample_weight, double l2) {
  SpanProblem p;
  p.n = n;
  p.l2 = l2;
  p.c = sample_weight;
  p.sign.resize(n);
  for (int i = 0; i < n; ++i) p.sign[i] = positive[i] ? 1.0 : -1.0;
  p.gram.assign(static_cast<size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) {
    const double* xi = &x[static_cast<size_t>(i) * d];
    for (int j = 0; j <= i; ++j) {
      const double* xj = &x[static_cast<size_t>(j) * d];
      double v = 0;
      for (int k = 0; k < d; ++k) v += xi[k] * xj[k];
      p.gram[static_cast<size_t>(i) * n + j] = p.gram[static_cast<size_t>(j) * n + i] = v;
    }
  }

  LogisticFit fit;
  std::vector<double> a(n, 0.0), s, trial_a(n), trial_s, m, rhs, grad_a(n), r(n);
  double b = 0;
  double objective = p.Objective(a, b, &s);
  const int size = n + 1;
  for (int step = 0; step < kMaxNewtonSteps; ++step) {
    // g_i = c_i (σ(s_i) − t_i) and D_i = c_i σ(s_i)(1 − σ(s_i)): the loss's first and
    // second derivatives in s_i. The gradient in a is K (g + l2·a), in b Σ g.
    std::vector<double> g(n), dd(n);
    double grad_b = 0;
    for (int i = 0; i < n; ++i) {
      const double prob = Sigmoid(s[i]);
      g[i] = p.c[i] * (prob - (p.sign[i] > 0 ? 1.0 : 0.0));
      dd[i] = p.c[i] * prob * (1.0 - prob);
      r[i] = g[i] + l2 * a[i];
      grad_b += g[i];
    }
    for (int i = 0; i < n; ++i) {
      const double* row = &p.gram[static_cast<size_t>(i) * n];
      double v = 0;
      for (int j = 0; j < n; ++j) v += row[j] * r[j];
      grad_a[i] = v;
    }
    // Newton: H δ = −∇ with H = [[K D K + l2 K, K D 1], [1ᵀ D K, 1ᵀ D 1]]. Any δa with
    // (D K + l2 I) δa + D 1 δb = −(g + l2 a) solves the first block row (multiply by K);
    // the bias row minus the sum of those rows is l2 · 1ᵀ δa = −l2 · 1ᵀ a, which stays
    // well conditioned when the data are separated and D is nearly 0.
    m.assign(static_cast<size_t>(size) * size, 0.0);
    rhs.assign(size, 0.0);
    double sum_a = 0;
    for (int i = 0; i < n; ++i) {
      double* row = &m[static_cast<size_t>(i) * size];
      const double* k = &p.gram[static_cast<size_t>(i) * n];
      for (int j = 0; j < n; ++j) row[j] = dd[i] * k[j];
      row[i] += l2;
      row[n] = dd[i];
      rhs[i] = -r[i];
      m[static_cast<size_t>(n) * size + i] = 1.0;
      sum_a += a[i];
    }
    rhs[n] = -sum_a;
    if (!SolveInPlace(m, rhs, size)) break;
    double slope = grad_b * rhs[n];  // ∇ · δ, negative for a descent direction
    for (int i = 0; i < n; ++i) slope += grad_a[i] * rhs[i];
    if (!(slope < 0) || -slope * 0.5 < kDecrementTolerance) {
      fit.converged = true;
      break;
    }
    // Backtracking (Armijo) keeps every step a decrease, as pure Newton on the
    // logistic loss can overshoot far from the optimum.
    double t = 1.0, trial_b = b, trial_objective = objective;
    bool accepted = false;
    for (int h = 0; h < kMaxHalvings; ++h, t *= 0.5) {
      for (int i = 0; i < n; ++i) trial_a[i] = a[i] + t * rhs[i];
      trial_b = b + t * rhs[n];
      trial_objective = p.Objective(trial_a, trial_b, &trial_s);
      if (trial_objective <= objective + 1e-4 * t * slope) {
        accepted = true;
        break;
      }
    }
    ++fit.iterations;
    if (!accepted) break;
    a.swap(trial_a);
    s.swap(trial_s);
    b = trial_b;
    objective = trial_objective;
  }

  fit.weight.assign(d, 0.0);
  for (int i = 0; i < n; ++i) {
    const double* xi = &x[static_cast<size_t>(i) * d];
    for (int k = 0; k < d; ++k) fit.weight[k] += a[i] * xi[k];
  }
  fit.bias = b;
  return fit;
}

}  // namespace kiln
