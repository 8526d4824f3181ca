// activations: plain scalar reference kernels, written with the C library's
// float functions (expf, tanhf, erfcf, log1pf, expm1f) in their numerically
// stable forms. Every SIMD table is tested against these.
#include <algorithm>
#include <cmath>

#include "kernels/activations.h"

namespace gw {
namespace {

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
constexpr float kSqrt2OverPi = 0.79788456080286536f;
constexpr float kGeluCubic = 0.044715f;

// sigmoid(x) without overflow: exp of a non-positive argument only.
inline float sigmoid(float x) {
  const float e = std::exp(-std::fabs(x));
  const float r = 1.0f / (1.0f + e);
  return x >= 0.0f ? r : e * r;
}
// sigmoid'(x) = e/(1+e)^2 with e = exp(-|x|) (symmetric, no cancellation).
inline float sigmoid_grad(float x) {
  const float e = std::exp(-std::fabs(x));
  const float r = 1.0f / (1.0f + e);
  return e * r * r;
}
// Phi(x) = 0.5*erfc(-x/sqrt(2)), accurate in both tails.
inline float normal_cdf(float x) { return 0.5f * std::erfc(-x * kInvSqrt2); }
// u(x) of the tanh form; |x| is clamped at 20, where sigmoid(2u) is exactly 0 or 1 in float (avoids x^3 overflow).
inline float gelu_tanh_u(float x) {
  const float c = std::min(std::max(x, -20.0f), 20.0f);
  return kSqrt2OverPi * (c + kGeluCubic * c * c * c);
}

inline float forward_one(ActKind kind, float x, float alpha) {
  switch (kind) {
    case ActKind::kSigmoid: return sigmoid(x);
    case ActKind::kTanh: return std::tanh(x);
    case ActKind::kRelu: return x > 0.0f ? x : 0.0f;
    case ActKind::kLeakyRelu: return x > 0.0f ? x : alpha * x;
    case ActKind::kElu: return x > 0.0f ? x : alpha * std::expm1(x);
    case ActKind::kSelu: return kSeluScale * (x > 0.0f ? x : kSeluAlpha * std::expm1(x));
    case ActKind::kGelu: return x * normal_cdf(x);
    // 0.5*(1+tanh(u)) = sigmoid(2u): no cancellation for negative x.
    case ActKind::kGeluTanh: return x * sigmoid(2.0f * gelu_tanh_u(x));
    case ActKind::kSilu: return x * sigmoid(x);
    case ActKind::kSoftplus:
      return x > kSoftplusThreshold ? x : std::max(x, 0.0f) + std::log1p(std::exp(-std::fabs(x)));
  }
  return 0.0f;
}

inline float grad_one(ActKind kind, float x, float y, float alpha) {
  switch (kind) {
    case ActKind::kSigmoid: return y * (1.0f - y);
    case ActKind::kTanh: return 1.0f - y * y;
    case ActKind::kRelu: return x > 0.0f ? 1.0f : 0.0f;
    case ActKind::kLeakyRelu: return x > 0.0f ? 1.0f : alpha;
    case ActKind::kElu: return x > 0.0f ? 1.0f : alpha * std::exp(x);
    case ActKind::kSelu: return x > 0.0f ? kSeluScale : kSeluScale * kSeluAlpha * std::exp(x);
    case ActKind::kGelu: {
      // d/dx x*Phi(x) = Phi(x) + x*phi(x); exp(-x^2/2) underflows to 0 for large |x| (never inf*0).
      const float pdf = kInvSqrt2Pi * std::exp(-0.5f * x * x);
      return normal_cdf(x) + x * pdf;
    }
    case ActKind::kGeluTanh: {
      const float c = std::min(std::max(x, -20.0f), 20.0f);
      const float z = 2.0f * gelu_tanh_u(x);
      const float du = kSqrt2OverPi * (1.0f + 3.0f * kGeluCubic * c * c);
      return sigmoid(z) + c * 2.0f * sigmoid_grad(z) * du;
    }
    case ActKind::kSilu: return sigmoid(x) + x * sigmoid_grad(x);
    case ActKind::kSoftplus: return x > kSoftplusThreshold ? 1.0f : sigmoid(x);
  }
  return 0.0f;
}

template <ActKind K>
void forward_kernel(const float* x, float* y, std::size_t n, float alpha) {
  for (std::size_t i = 0; i < n; ++i) y[i] = forward_one(K, x[i], alpha);
}

template <ActKind K>
void backward_kernel(const float* x, const float* y, const float* dy, float* dx, std::size_t n, float alpha) {
  if constexpr (K == ActKind::kRelu) {
    // A select, as PyTorch's threshold_backward and the SIMD paths: +0 where x <= 0, whatever dy (never -0 or NaN from dy * 0).
    for (std::size_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
  } else {
    for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * grad_one(K, x[i], y[i], alpha);
  }
}

template <ActKind K>
void backward_bias_kernel(const float* x, const float* y, const float* dy, float* dx, float* db, std::size_t rows,
                          std::size_t cols, std::size_t c0, std::size_t c1, float alpha) {
  for (std::size_t j = c0; j < c1; ++j) db[j] = 0.0f;
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t off = r * cols;
    backward_kernel<K>(x + off + c0, y + off + c0, dy + off + c0, dx + off + c0, c1 - c0, alpha);
    for (std::size_t j = c0; j < c1; ++j) db[j] += dx[off + j];
  }
}

float row_max(const float* xr, std::size_t cols) {
  float m = -INFINITY;
  for (std::size_t c = 0; c < cols; ++c) m = std::max(m, xr[c]);
  return m;
}

// The row's sum of exp(x - m), in order; each term is also stored in e[c] when e is not null.
float exp_sum(const float* xr, std::size_t cols, float m, float* e) {
  float sum = 0.0f;
  for (std::size_t c = 0; c < cols; ++c) {
    const float t = std::exp(xr[c] - m);
    if (e) e[c] = t;
    sum += t;
  }
  return sum;
}

void softmax_forward_rows(const float* x, float* y, std::size_t rows, std::size_t cols) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float m = row_max(xr, cols);
    const float inv = 1.0f / exp_sum(xr, cols, m, yr);
    for (std::size_t c = 0; c < cols; ++c) yr[c] *= inv;
  }
}

// Calls f(yr, dyr, dxr) for each row of a rows backward.
template <class F>
void each_backward_row(const float* y, const float* dy, float* dx, std::size_t rows, std::size_t cols, F&& f) {
  for (std::size_t r = 0; r < rows; ++r) f(y + r * cols, dy + r * cols, dx + r * cols);
}

void softmax_backward_rows(const float* y, const float* dy, float* dx, std::size_t rows, std::size_t cols) {
  each_backward_row(y, dy, dx, rows, cols, [cols](const float* yr, const float* dyr, float* dxr) {
    float dot = 0.0f;
    for (std::size_t c = 0; c < cols; ++c) dot += dyr[c] * yr[c];
    for (std::size_t c = 0; c < cols; ++c) dxr[c] = yr[c] * (dyr[c] - dot);
  });
}

void log_softmax_forward_rows(const float* x, float* y, std::size_t rows, std::size_t cols) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float m = row_max(xr, cols);
    const float log_sum = std::log(exp_sum(xr, cols, m, nullptr));
    for (std::size_t c = 0; c < cols; ++c) yr[c] = (xr[c] - m) - log_sum;
  }
}

void log_softmax_backward_rows(const float* y, const float* dy, float* dx, std::size_t rows, std::size_t cols) {
  each_backward_row(y, dy, dx, rows, cols, [cols](const float* yr, const float* dyr, float* dxr) {
    float sum = 0.0f;
    for (std::size_t c = 0; c < cols; ++c) sum += dyr[c];
    for (std::size_t c = 0; c < cols; ++c) dxr[c] = dyr[c] - std::exp(yr[c]) * sum;
  });
}

}  // namespace

const ActivationKernels& activation_kernels_scalar() {
  static const ActivationKernels table{GW_ACTIVATION_TABLE_INIT("scalar")};
  return table;
}

}  // namespace gw
