// losses: plain scalar reference kernels.
#include <algorithm>
#include <cmath>

#include "kernels/losses.h"

namespace gw {
namespace {

double mse_scalar(const float* p, const float* t, std::size_t n, float scale, float* d) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const float e = p[i] - t[i];
    s += static_cast<double>(e) * e;
    if (d) d[i] = 2.0f * e * scale;
  }
  return s;
}

double mae_scalar(const float* p, const float* t, std::size_t n, float scale, float* d) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const float e = p[i] - t[i];
    s += std::fabs(e);
    if (d) d[i] = e > 0.0f ? scale : (e < 0.0f ? -scale : 0.0f);
  }
  return s;
}

double huber_scalar(const float* p, const float* t, std::size_t n, float delta, float scale, float* d) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const float e = p[i] - t[i];
    const float a = std::fabs(e);
    s += a < delta ? 0.5f * e * e : delta * (a - 0.5f * delta);
    if (d) d[i] = std::min(std::max(e, -delta), delta) * scale;
  }
  return s;
}

double bce_scalar(const float* p, const float* t, std::size_t n, float scale, float* d) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const float log_p = std::max(std::log(p[i]), -100.0f);
    const float log_1mp = std::max(std::log1p(-p[i]), -100.0f);
    s -= t[i] * log_p + (1.0f - t[i]) * log_1mp;
    // PyTorch: (p - t) / max(p * (1 - p), 1e-12).
    if (d) d[i] = (p[i] - t[i]) / std::max(p[i] * (1.0f - p[i]), 1e-12f) * scale;
  }
  return s;
}

double bce_logits_scalar(const float* z, const float* t, std::size_t n, float scale, float* d) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const float e = std::exp(-std::fabs(z[i]));  // in (0, 1]: never overflows
    s += std::max(z[i], 0.0f) - z[i] * t[i] + std::log1p(e);
    if (d) {
      const float sig = z[i] >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
      d[i] = (sig - t[i]) * scale;
    }
  }
  return s;
}

float row_max_scalar(const float* z, std::size_t n) {
  float m = z[0];
  for (std::size_t i = 1; i < n; ++i) m = std::max(m, z[i]);
  return m;
}

double sum_exp_scalar(const float* z, std::size_t n, float m) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += std::exp(z[i] - m);
  return s;
}

double sum_shifted_scalar(const float* z, std::size_t n, float m) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += z[i] - m;
  return s;
}

double dot_shifted_scalar(const float* q, const float* z, std::size_t n, float m) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(q[i]) * (z[i] - m);
  return s;
}

double exp_sum_store_scalar(const float* z, std::size_t n, float m, float* e) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    e[i] = std::exp(z[i] - m);
    s += e[i];
  }
  return s;
}

void softmax_grad_scalar(const float* e, const float* q, std::size_t n, float inv_s, float q_uniform, float scale,
                         float* d) {
  for (std::size_t i = 0; i < n; ++i) d[i] = (e[i] * inv_s - (q ? q[i] : 0.0f) - q_uniform) * scale;
}

}  // namespace

const LossKernels& loss_kernels_scalar() {
  static const LossKernels table{"scalar",           mse_scalar,         mae_scalar,         huber_scalar,
                                 bce_scalar,         bce_logits_scalar,  row_max_scalar,     sum_exp_scalar,
                                 sum_shifted_scalar, dot_shifted_scalar, exp_sum_store_scalar,
                                 softmax_grad_scalar};
  return table;
}

}  // namespace gw
