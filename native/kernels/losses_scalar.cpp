// losses: plain scalar reference kernels.
#include <algorithm>
#include <cmath>

#include "kernels/losses.h"

namespace gw {
namespace {
#include "kernels/losses_tail_inl.h"

double mse_scalar(const float* p, const float* t, std::size_t n, float scale, float* d) {
  return mse_tail(p, t, 0, n, scale, d, 0.0);
}

double mae_scalar(const float* p, const float* t, std::size_t n, float scale, float* d) {
  return mae_tail(p, t, 0, n, scale, d, 0.0);
}

double huber_scalar(const float* p, const float* t, std::size_t n, float delta, float scale, float* d) {
  return huber_tail(p, t, 0, n, delta, scale, d, 0.0);
}

double bce_scalar(const float* p, const float* t, std::size_t n, float scale, float* d) {
  return bce_tail(p, t, 0, n, scale, d, 0.0);
}

double bce_logits_scalar(const float* z, const float* t, std::size_t n, float scale, float* d) {
  return bce_logits_tail(z, t, 0, n, scale, d, 0.0);
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
