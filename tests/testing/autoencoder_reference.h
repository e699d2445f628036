// A deliberately naive float64 AutoencoderKL, written straight from the
// official flux/modules/autoencoder.py (loops in the same order, weights
// looked up by name), to check the real one on configs, batch sizes and
// image sizes the golden case does not cover. Slow; small sizes only.
// Header-only: tests/ has no library of its own.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kiln/models/autoencoder/autoencoder_config.h"
#include "kiln/tensor/tensor.h"

namespace kiln::test {

// (name, shape) of every AutoEncoder.state_dict() entry for config, in the
// order the official constructor creates them.
inline std::vector<std::pair<std::string, Shape>> AutoencoderWeightShapes(const AutoencoderConfig& c) {
  std::vector<std::pair<std::string, Shape>> out;
  auto conv = [&](const std::string& name, int64_t in, int64_t o, int64_t k) {
    out.push_back({name + ".weight", {o, in, k, k}});
    out.push_back({name + ".bias", {o}});
  };
  auto norm = [&](const std::string& name, int64_t ch) {
    out.push_back({name + ".weight", {ch}});
    out.push_back({name + ".bias", {ch}});
  };
  auto resnet = [&](const std::string& name, int64_t in, int64_t o) {
    norm(name + ".norm1", in);
    conv(name + ".conv1", in, o, 3);
    norm(name + ".norm2", o);
    conv(name + ".conv2", o, o, 3);
    if (in != o) conv(name + ".nin_shortcut", in, o, 1);
  };
  auto attn = [&](const std::string& name, int64_t ch) {
    norm(name + ".norm", ch);
    for (const char* p : {".q", ".k", ".v", ".proj_out"}) conv(name + p, ch, ch, 1);
  };
  const int64_t levels = static_cast<int64_t>(c.ch_mult.size());
  // Encoder
  conv("encoder.conv_in", c.in_channels, c.ch, 3);
  int64_t block_in = c.ch;
  for (int64_t i = 0; i < levels; ++i) {
    block_in = c.ch * (i == 0 ? 1 : c.ch_mult[i - 1]);
    const int64_t block_out = c.ch * c.ch_mult[i];
    for (int64_t j = 0; j < c.num_res_blocks; ++j) {
      resnet("encoder.down." + std::to_string(i) + ".block." + std::to_string(j), block_in, block_out);
      block_in = block_out;
    }
    if (i != levels - 1) conv("encoder.down." + std::to_string(i) + ".downsample.conv", block_in, block_in, 3);
  }
  resnet("encoder.mid.block_1", block_in, block_in);
  attn("encoder.mid.attn_1", block_in);
  resnet("encoder.mid.block_2", block_in, block_in);
  norm("encoder.norm_out", block_in);
  conv("encoder.conv_out", block_in, 2 * c.z_channels, 3);
  // Decoder
  block_in = c.ch * c.ch_mult[levels - 1];
  conv("decoder.conv_in", c.z_channels, block_in, 3);
  resnet("decoder.mid.block_1", block_in, block_in);
  attn("decoder.mid.attn_1", block_in);
  resnet("decoder.mid.block_2", block_in, block_in);
  for (int64_t i = levels - 1; i >= 0; --i) {
    const int64_t block_out = c.ch * c.ch_mult[i];
    for (int64_t j = 0; j < c.num_res_blocks + 1; ++j) {
      resnet("decoder.up." + std::to_string(i) + ".block." + std::to_string(j), block_in, block_out);
      block_in = block_out;
    }
    if (i != 0) conv("decoder.up." + std::to_string(i) + ".upsample.conv", block_in, block_in, 3);
  }
  norm("decoder.norm_out", block_in);
  conv("decoder.conv_out", block_in, c.out_ch, 3);
  return out;
}

// Random weights shaped like the official init: conv U(±1/sqrt(fan_in)),
// GroupNorm weight U(0.5, 1.5) and bias U(-0.2, 0.2) (as the golden case does).
inline std::vector<std::pair<std::string, Tensor>> RandomAutoencoderWeights(const AutoencoderConfig& c,
                                                                             uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& [name, shape] : AutoencoderWeightShapes(c)) {
    const bool is_norm = name.find("norm") != std::string::npos;
    const bool is_bias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
    double lo, hi;
    if (is_norm) {
      lo = is_bias ? -0.2 : 0.5;
      hi = is_bias ? 0.2 : 1.5;
    } else {
      // fan_in of the conv this belongs to: the weight is listed just before its bias.
      const Shape& w = is_bias ? out.back().second.shape() : shape;
      const double bound = 1.0 / std::sqrt(static_cast<double>(w[1] * w[2] * w[3]));
      lo = -bound;
      hi = bound;
    }
    std::uniform_real_distribution<double> dist(lo, hi);
    Tensor t = Tensor::Empty(DType::kF32, shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = static_cast<float>(dist(rng));
    out.push_back({name, t});
  }
  return out;
}

// NCHW float64 activations.
struct RefActivation {
  int64_t n = 0, c = 0, h = 0, w = 0;
  std::vector<double> v;
  RefActivation() = default;
  RefActivation(int64_t n_, int64_t c_, int64_t h_, int64_t w_)
      : n(n_), c(c_), h(h_), w(w_), v(static_cast<size_t>(n_ * c_ * h_ * w_), 0.0) {}
  double& at(int64_t b, int64_t ch, int64_t y, int64_t x) { return v[((b * c + ch) * h + y) * w + x]; }
  double at(int64_t b, int64_t ch, int64_t y, int64_t x) const { return v[((b * c + ch) * h + y) * w + x]; }
};

inline RefActivation ToRef(const Tensor& t) {
  RefActivation a(t.dim(0), t.dim(1), t.dim(2), t.dim(3));
  for (int64_t i = 0; i < t.numel(); ++i) a.v[i] = t.f32()[i];
  return a;
}

inline Tensor FromRef(const RefActivation& a) {
  Tensor t = Tensor::Empty(DType::kF32, {a.n, a.c, a.h, a.w});
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = static_cast<float>(a.v[i]);
  return t;
}

class ReferenceAutoencoder {
 public:
  ReferenceAutoencoder(AutoencoderConfig config, const std::vector<std::pair<std::string, Tensor>>& weights)
      : c_(std::move(config)) {
    for (const auto& [name, t] : weights) w_[name] = t;
  }

  RefActivation Encoder(RefActivation x) const {
    const int64_t levels = static_cast<int64_t>(c_.ch_mult.size());
    RefActivation h = Conv(x, "encoder.conv_in", 1, 1, 1);
    for (int64_t i = 0; i < levels; ++i) {
      for (int64_t j = 0; j < c_.num_res_blocks; ++j) {
        h = Resnet(h, "encoder.down." + std::to_string(i) + ".block." + std::to_string(j));
      }
      if (i != levels - 1) {
        h = Conv(h, "encoder.down." + std::to_string(i) + ".downsample.conv", 2, 0, 1);
      }
    }
    h = Resnet(h, "encoder.mid.block_1");
    h = Attn(h, "encoder.mid.attn_1");
    h = Resnet(h, "encoder.mid.block_2");
    h = Swish(Norm(h, "encoder.norm_out"));
    return Conv(h, "encoder.conv_out", 1, 1, 1);
  }

  // z already unscaled.
  RefActivation Decoder(RefActivation z) const {
    const int64_t levels = static_cast<int64_t>(c_.ch_mult.size());
    RefActivation h = Conv(z, "decoder.conv_in", 1, 1, 1);
    h = Resnet(h, "decoder.mid.block_1");
    h = Attn(h, "decoder.mid.attn_1");
    h = Resnet(h, "decoder.mid.block_2");
    for (int64_t i = levels - 1; i >= 0; --i) {
      for (int64_t j = 0; j < c_.num_res_blocks + 1; ++j) {
        h = Resnet(h, "decoder.up." + std::to_string(i) + ".block." + std::to_string(j));
      }
      if (i != 0) h = Conv(Upsample(h), "decoder.up." + std::to_string(i) + ".upsample.conv", 1, 1, 1);
    }
    h = Swish(Norm(h, "decoder.norm_out"));
    return Conv(h, "decoder.conv_out", 1, 1, 1);
  }

  // scale * (mean [+ exp(logvar/2) * noise] - shift); noise may be null.
  RefActivation Latent(const RefActivation& moments, const RefActivation* noise) const {
    const int64_t z = c_.z_channels;
    RefActivation out(moments.n, z, moments.h, moments.w);
    for (int64_t b = 0; b < out.n; ++b)
      for (int64_t ch = 0; ch < z; ++ch)
        for (int64_t y = 0; y < out.h; ++y)
          for (int64_t x = 0; x < out.w; ++x) {
            double m = moments.at(b, ch, y, x);
            if (noise != nullptr) m += std::exp(0.5 * moments.at(b, z + ch, y, x)) * noise->at(b, ch, y, x);
            out.at(b, ch, y, x) = c_.scale_factor * (m - c_.shift_factor);
          }
    return out;
  }

  RefActivation Decode(RefActivation latent) const {
    for (double& v : latent.v) v = v / c_.scale_factor + c_.shift_factor;
    return Decoder(latent);
  }

 private:
  const Tensor& W(const std::string& name) const { return w_.at(name); }

  // Conv2d with the given stride; pad_lo on top/left, pad_hi on bottom/right.
  RefActivation Conv(const RefActivation& x, const std::string& name, int64_t stride, int64_t pad_lo,
                     int64_t pad_hi) const {
    const Tensor& wt = W(name + ".weight");
    const Tensor& bias = W(name + ".bias");
    const int64_t co = wt.dim(0), ci = wt.dim(1), k = wt.dim(2);
    if (k == 1) pad_lo = pad_hi = 0;
    const int64_t oh = (x.h + pad_lo + pad_hi - k) / stride + 1;
    const int64_t ow = (x.w + pad_lo + pad_hi - k) / stride + 1;
    RefActivation out(x.n, co, oh, ow);
    for (int64_t b = 0; b < x.n; ++b)
      for (int64_t o = 0; o < co; ++o)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t xx = 0; xx < ow; ++xx) {
            double acc = bias.f32()[o];
            for (int64_t i = 0; i < ci; ++i)
              for (int64_t ky = 0; ky < k; ++ky)
                for (int64_t kx = 0; kx < k; ++kx) {
                  const int64_t iy = y * stride + ky - pad_lo, ix = xx * stride + kx - pad_lo;
                  if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
                  acc += wt.f32()[((o * ci + i) * k + ky) * k + kx] * x.at(b, i, iy, ix);
                }
            out.at(b, o, y, xx) = acc;
          }
    return out;
  }

  RefActivation Norm(const RefActivation& x, const std::string& name) const {
    const Tensor& gamma = W(name + ".weight");
    const Tensor& beta = W(name + ".bias");
    const int64_t per_group = x.c / 32;
    RefActivation out = x;
    for (int64_t b = 0; b < x.n; ++b)
      for (int64_t g = 0; g < 32; ++g) {
        double sum = 0, sq = 0;
        const double count = static_cast<double>(per_group * x.h * x.w);
        for (int64_t ch = g * per_group; ch < (g + 1) * per_group; ++ch)
          for (int64_t y = 0; y < x.h; ++y)
            for (int64_t xx = 0; xx < x.w; ++xx) sum += x.at(b, ch, y, xx);
        const double mean = sum / count;
        for (int64_t ch = g * per_group; ch < (g + 1) * per_group; ++ch)
          for (int64_t y = 0; y < x.h; ++y)
            for (int64_t xx = 0; xx < x.w; ++xx) sq += (x.at(b, ch, y, xx) - mean) * (x.at(b, ch, y, xx) - mean);
        const double inv = 1.0 / std::sqrt(sq / count + 1e-6);  // biased variance, as torch
        for (int64_t ch = g * per_group; ch < (g + 1) * per_group; ++ch)
          for (int64_t y = 0; y < x.h; ++y)
            for (int64_t xx = 0; xx < x.w; ++xx)
              out.at(b, ch, y, xx) = (x.at(b, ch, y, xx) - mean) * inv * gamma.f32()[ch] + beta.f32()[ch];
      }
    return out;
  }

  static RefActivation Swish(RefActivation x) {
    for (double& v : x.v) v = v / (1.0 + std::exp(-v));
    return x;
  }

  static RefActivation Upsample(const RefActivation& x) {
    RefActivation out(x.n, x.c, 2 * x.h, 2 * x.w);
    for (int64_t b = 0; b < x.n; ++b)
      for (int64_t ch = 0; ch < x.c; ++ch)
        for (int64_t y = 0; y < out.h; ++y)
          for (int64_t xx = 0; xx < out.w; ++xx) out.at(b, ch, y, xx) = x.at(b, ch, y / 2, xx / 2);
    return out;
  }

  RefActivation Resnet(const RefActivation& x, const std::string& name) const {
    RefActivation h = Conv(Swish(Norm(x, name + ".norm1")), name + ".conv1", 1, 1, 1);
    h = Conv(Swish(Norm(h, name + ".norm2")), name + ".conv2", 1, 1, 1);
    const RefActivation shortcut = w_.count(name + ".nin_shortcut.weight") ? Conv(x, name + ".nin_shortcut", 1, 0, 0) : x;
    for (size_t i = 0; i < h.v.size(); ++i) h.v[i] += shortcut.v[i];
    return h;
  }

  RefActivation Attn(const RefActivation& x, const std::string& name) const {
    const RefActivation n = Norm(x, name + ".norm");
    const RefActivation q = Conv(n, name + ".q", 1, 0, 0);
    const RefActivation k = Conv(n, name + ".k", 1, 0, 0);
    const RefActivation v = Conv(n, name + ".v", 1, 0, 0);
    const int64_t tokens = x.h * x.w, c = x.c;
    RefActivation attended(x.n, c, x.h, x.w);
    std::vector<double> scores(static_cast<size_t>(tokens));
    for (int64_t b = 0; b < x.n; ++b)
      for (int64_t i = 0; i < tokens; ++i) {
        double max_score = -1e300;
        for (int64_t j = 0; j < tokens; ++j) {
          double s = 0;
          for (int64_t ch = 0; ch < c; ++ch)
            s += q.at(b, ch, i / x.w, i % x.w) * k.at(b, ch, j / x.w, j % x.w);
          scores[j] = s / std::sqrt(static_cast<double>(c));
          max_score = std::max(max_score, scores[j]);
        }
        double total = 0;
        for (double& s : scores) total += (s = std::exp(s - max_score));
        for (int64_t ch = 0; ch < c; ++ch) {
          double acc = 0;
          for (int64_t j = 0; j < tokens; ++j) acc += scores[j] * v.at(b, ch, j / x.w, j % x.w);
          attended.at(b, ch, i / x.w, i % x.w) = acc / total;
        }
      }
    RefActivation out = Conv(attended, name + ".proj_out", 1, 0, 0);
    for (size_t i = 0; i < out.v.size(); ++i) out.v[i] += x.v[i];
    return out;
  }

  AutoencoderConfig c_;
  std::map<std::string, Tensor> w_;
};

}  // namespace kiln::test
