// activations: the SIMD kernels, written once over a thin per-ISA vector layer.
//
// Include this ONLY from an ISA translation unit (activations_sse2/avx2/avx512/neon.cpp),
// after defining `struct Vec` in an anonymous namespace with:
//   F (float vector), M (lane mask), kWidth, load, store, set1, add, sub, mul, div,
//   fmadd(a, b, c) = a*b + c, fnmadd(a, b, c) = c - a*b, recip(a) ~ 1/a (to ~1 ulp),
//   min, max, abs, gt, ge, lt, eq, select(m, a, b) = m ? a : b, any(m),
//   round (to nearest integer, |x| < 2^22), pow2n(n) = 2^n for integral n in [-126, 127],
//   reduce_add, reduce_max.
// Everything here has internal linkage (anonymous namespace), so each ISA TU
// gets its own copy compiled with its own flags (no ODR clash).
//
// Vector math (all float32). Max relative errors in units of 2^-24 (~ulps),
// measured by test/activations.test.ts over 200k-point sweeps against float64
// references (SSE2 / AVX2 / AVX-512; glibc's float functions in parentheses):
//   exp(x)    1.5 (1.0)  x in [-87.3, 0]: Cephes expf, n = round(x/ln2),
//             r = x - n*ln2 (two-part ln2), degree-5 polynomial, times 2^n.
//             Subnormal results take a second scaling step (2^n1 * 2^n2) so
//             they round correctly; 0 below -103.97; x clamped at 88 above
//             (callers only pass x <= 20).
//   expm1(x)  1.4 (1.2)  same reduction, 2^n*(exp(r)-1) + (2^n - 1): no
//             cancellation near 0; -1 for x <= -17.4.
//   tanh(x)   3.3 (2.5)  sign(x) * -t/(t+2), t = expm1(-2|x|); saturates
//             to +-1 exactly.
//   sigmoid   2.9 (2.9), silu 3.4 (3.3), softplus 3.5 (1.9).
//   log1p(u)  u in [0, 1]: 2*atanh(u/(2+u)) by its odd series (7 terms); no
//             cancellation for tiny u.
//   erfc(z)   z >= 0: Numerical Recipes' Chebyshev fit t*exp(-z^2 + P(t)),
//             t = 1/(1+z/2), fractional error < 1.2e-7 in exact arithmetic.
//             gelu: 38 (23) for x in [-5, 10], 313 (197) for x in [-13, -5];
//             gelu_tanh 187 (180) in [-9, 10]. Those tails are ill-conditioned
//             in float32 whatever the algorithm: one rounding of x/sqrt(2)
//             moves erfc(z) by 2*z^2*2^-24 relative (~170 units at x = -13).
// recip() is a true division on SSE2/AVX2/NEON and rcp14 + one Newton step on
// AVX-512 (exact at 1, so sigmoid/tanh still saturate exactly).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstring>

#include "kernels/activations.h"

namespace gw {
namespace {

using F = Vec::F;
using M = Vec::M;

inline F vc(float v) { return Vec::set1(v); }

constexpr float kExpLo = -103.972077f;  // below: exp(x) < 2^-150 rounds to 0
constexpr float kExpHi = 88.0f;         // keeps 2^n finite (callers only pass x <= 20)

// Range reduction shared by exp and expm1 (x already clamped): x = n*ln2 + r,
// |r| <= ln2/2. Gives n and pm1 = exp(r) - 1 = r + r^2*P(r).
inline F exp_reduce(F x, F* pm1) {
  const F n = Vec::round_small(Vec::mul(x, vc(1.44269504088896341f)));
  // ln2 = 0.693359375 - 2.12194440e-4; n*0.693359375 is exact (9 + 8 bits).
  F r = Vec::fnmadd(n, vc(0.693359375f), x);
  r = Vec::fnmadd(n, vc(-2.12194440e-4f), r);
  F p = vc(1.9875691500E-4f);
  p = Vec::fmadd(p, r, vc(1.3981999507E-3f));
  p = Vec::fmadd(p, r, vc(8.3334519073E-3f));
  p = Vec::fmadd(p, r, vc(4.1665795894E-2f));
  p = Vec::fmadd(p, r, vc(1.6666665459E-1f));
  p = Vec::fmadd(p, r, vc(5.0000001201E-1f));
  *pm1 = Vec::fmadd(Vec::mul(r, r), p, r);
  return n;
}

constexpr float kExpNormalLo = -87.33654475f;  // exp(x) >= FLT_MIN above this

inline F v_exp(F x) {
  F pm1;
  if (!Vec::any(Vec::lt(x, vc(kExpNormalLo)))) {
    // Fast path (every lane's result is normal): one scaling by 2^n, n in [-126, 127].
    const F n = exp_reduce(Vec::min_num(x, vc(kExpHi)), &pm1);
    const F s = Vec::pow2n(n);
    return Vec::fmadd(s, pm1, s);
  }
  const F n = exp_reduce(Vec::min_num(Vec::max_num(x, vc(kExpLo)), vc(kExpHi)), &pm1);
  // 2^n as 2^n1 * 2^n2 (n1 = round(n/2)): both factors stay normal for n in
  // [-150, 127], and the last multiply rounds correctly into the subnormals.
  const F n1 = Vec::round_small(Vec::mul(n, vc(0.5f)));
  const F s1 = Vec::pow2n(n1);
  const F e = Vec::mul(Vec::fmadd(s1, pm1, s1), Vec::pow2n(Vec::sub(n, n1)));
  // Below kExpLo (and for -inf) the result is exactly 0.
  return Vec::select(Vec::lt(x, vc(kExpLo)), vc(0.0f), e);
}

inline F v_expm1(F x) {
  F pm1;
  // expm1(x) = -1 in float for x < -17.4, so clamping at -88 keeps 2^n normal.
  const F n = exp_reduce(Vec::min_num(Vec::max_num(x, vc(-88.0f)), vc(kExpHi)), &pm1);
  const F s = Vec::pow2n(n);
  // 2^n*(exp(r)-1) + (2^n - 1); 2^n - 1 is exact for the n that matter.
  return Vec::fmadd(s, pm1, Vec::sub(s, vc(1.0f)));
}

// log(1 + u) for u in [0, 1] as 2*atanh(s), s = u/(2+u) in [0, 1/3]:
// 2s*(1 + s^2/3 + s^4/5 + ... + s^12/13). The first omitted term is
// s^14/15 <= 1.4e-8 relative; tiny u keeps full relative accuracy (s ~ u/2).
inline F v_log1p(F u) {
  const F s = Vec::mul(u, Vec::recip(Vec::add(vc(2.0f), u)));
  const F s2 = Vec::mul(s, s);
  F p = vc(1.0f / 13.0f);
  p = Vec::fmadd(p, s2, vc(1.0f / 11.0f));
  p = Vec::fmadd(p, s2, vc(1.0f / 9.0f));
  p = Vec::fmadd(p, s2, vc(1.0f / 7.0f));
  p = Vec::fmadd(p, s2, vc(1.0f / 5.0f));
  p = Vec::fmadd(p, s2, vc(1.0f / 3.0f));
  const F two_s = Vec::add(s, s);
  return Vec::fmadd(Vec::mul(two_s, s2), p, two_s);
}

// sigmoid with e = exp(-|x|) and r = 1/(1+e): sigmoid = x >= 0 ? r : e*r,
// sigmoid' = e*r*r. No overflow for any x.
struct SigmoidParts {
  F e, r;
};
inline SigmoidParts sigmoid_parts(F x) {
  SigmoidParts p;
  p.e = v_exp(Vec::sub(vc(0.0f), Vec::abs(x)));
  p.r = Vec::recip(Vec::add(vc(1.0f), p.e));
  return p;
}
inline F sigmoid_value(F x, const SigmoidParts& p) { return Vec::select(Vec::ge(x, vc(0.0f)), p.r, Vec::mul(p.e, p.r)); }
inline F sigmoid_slope(const SigmoidParts& p) { return Vec::mul(p.e, Vec::mul(p.r, p.r)); }

// tanh(|x|) = -t/(t+2) with t = expm1(-2|x|) in (-1, 0]: expm1 keeps full
// relative accuracy near 0 (no separate polynomial branch), and t = -1
// exactly for |x| > 8.7, so the result saturates to exactly 1. Sign restored last.
inline F v_tanh(F x) {
  const F a = Vec::abs(x);
  const F t = v_expm1(Vec::mul(a, vc(-2.0f)));
  const F th = Vec::mul(Vec::sub(vc(0.0f), t), Vec::recip(Vec::add(t, vc(2.0f))));
  return Vec::select(Vec::lt(x, vc(0.0f)), Vec::sub(vc(0.0f), th), th);
}

// erfc(z) for z >= 0 (Numerical Recipes erfcc).
inline F v_erfc_nonneg(F z) {
  z = Vec::min_num(z, vc(1e30f));  // erfc is 0 long before; keeps recip away from inf
  const F t = Vec::recip(Vec::fmadd(z, vc(0.5f), vc(1.0f)));
  F p = vc(0.17087277f);
  p = Vec::fmadd(p, t, vc(-0.82215223f));
  p = Vec::fmadd(p, t, vc(1.48851587f));
  p = Vec::fmadd(p, t, vc(-1.13520398f));
  p = Vec::fmadd(p, t, vc(0.27886807f));
  p = Vec::fmadd(p, t, vc(-0.18628806f));
  p = Vec::fmadd(p, t, vc(0.09678418f));
  p = Vec::fmadd(p, t, vc(0.37409196f));
  p = Vec::fmadd(p, t, vc(1.00002368f));
  p = Vec::fmadd(p, t, vc(-1.26551223f));
  return Vec::mul(t, v_exp(Vec::sub(p, Vec::mul(z, z))));
}

// Phi(x) = 0.5*erfc(-x/sqrt(2)): 1 - 0.5*erfc(|x|/sqrt(2)) for x >= 0, else 0.5*erfc(|x|/sqrt(2)).
inline F v_normal_cdf(F x) {
  const F half_tail = Vec::mul(vc(0.5f), v_erfc_nonneg(Vec::mul(Vec::abs(x), vc(0.70710678118654752f))));
  return Vec::select(Vec::ge(x, vc(0.0f)), Vec::sub(vc(1.0f), half_tail), half_tail);
}

constexpr float kSqrt2OverPi = 0.79788456080286536f;
constexpr float kGeluCubic = 0.044715f;

// Forward f(x) for one vector.
template <ActKind K>
inline F forward_vec(F x, F alpha) {
  const F zero = vc(0.0f);
  if constexpr (K == ActKind::kSigmoid) {
    return sigmoid_value(x, sigmoid_parts(x));
  } else if constexpr (K == ActKind::kTanh) {
    return v_tanh(x);
  } else if constexpr (K == ActKind::kRelu) {
    return Vec::select(Vec::gt(x, zero), x, zero);
  } else if constexpr (K == ActKind::kLeakyRelu) {
    return Vec::select(Vec::gt(x, zero), x, Vec::mul(alpha, x));
  } else if constexpr (K == ActKind::kElu) {
    return Vec::select(Vec::gt(x, zero), x, Vec::mul(alpha, v_expm1(x)));
  } else if constexpr (K == ActKind::kSelu) {
    return Vec::mul(vc(kSeluScale), Vec::select(Vec::gt(x, zero), x, Vec::mul(vc(kSeluAlpha), v_expm1(x))));
  } else if constexpr (K == ActKind::kGelu) {
    return Vec::mul(x, v_normal_cdf(x));
  } else if constexpr (K == ActKind::kGeluTanh) {
    // x*sigmoid(2u) = 0.5*x*(1+tanh(u)); |x| clamped at 20 inside u, where sigmoid(2u) is exactly 0 or 1.
    const F c = Vec::min_num(Vec::max_num(x, vc(-20.0f)), vc(20.0f));
    const F u2 = Vec::mul(vc(2.0f * kSqrt2OverPi), Vec::fmadd(Vec::mul(vc(kGeluCubic), Vec::mul(c, c)), c, c));
    return Vec::mul(x, sigmoid_value(u2, sigmoid_parts(u2)));
  } else if constexpr (K == ActKind::kSilu) {
    return Vec::mul(x, sigmoid_value(x, sigmoid_parts(x)));
  } else {  // softplus
    const F soft = Vec::add(Vec::max_num(x, zero), v_log1p(v_exp(Vec::sub(zero, Vec::abs(x)))));
    return Vec::select(Vec::gt(x, vc(kSoftplusThreshold)), x, soft);
  }
}

// dx = dy * f'(x) for one vector (x: forward input, y: forward output).
template <ActKind K>
inline F backward_vec(F x, F y, F dy, F alpha) {
  const F zero = vc(0.0f);
  const F one = vc(1.0f);
  if constexpr (K == ActKind::kSigmoid) {
    return Vec::mul(dy, Vec::mul(y, Vec::sub(one, y)));
  } else if constexpr (K == ActKind::kTanh) {
    return Vec::mul(dy, Vec::sub(one, Vec::mul(y, y)));
  } else if constexpr (K == ActKind::kRelu) {
    return Vec::select(Vec::gt(x, zero), dy, zero);
  } else if constexpr (K == ActKind::kLeakyRelu) {
    return Vec::select(Vec::gt(x, zero), dy, Vec::mul(dy, alpha));
  } else if constexpr (K == ActKind::kElu) {
    return Vec::select(Vec::gt(x, zero), dy, Vec::mul(dy, Vec::mul(alpha, v_exp(Vec::min_num(x, zero)))));
  } else if constexpr (K == ActKind::kSelu) {
    return Vec::select(Vec::gt(x, zero), Vec::mul(dy, vc(kSeluScale)),
                       Vec::mul(dy, Vec::mul(vc(kSeluScale * kSeluAlpha), v_exp(Vec::min_num(x, zero)))));
  } else if constexpr (K == ActKind::kGelu) {
    // Phi(x) + x*phi(x); exp(-x^2/2) -> 0 for large |x| (x*0, never inf*0).
    const F pdf = Vec::mul(vc(0.39894228040143268f), v_exp(Vec::mul(vc(-0.5f), Vec::mul(x, x))));
    return Vec::mul(dy, Vec::fmadd(x, pdf, v_normal_cdf(x)));
  } else if constexpr (K == ActKind::kGeluTanh) {
    const F c = Vec::min_num(Vec::max_num(x, vc(-20.0f)), vc(20.0f));
    const F c2 = Vec::mul(c, c);
    const F u2 = Vec::mul(vc(2.0f * kSqrt2OverPi), Vec::fmadd(Vec::mul(vc(kGeluCubic), c2), c, c));
    const F du2 = Vec::mul(vc(2.0f * kSqrt2OverPi), Vec::fmadd(vc(3.0f * kGeluCubic), c2, one));
    const SigmoidParts p = sigmoid_parts(u2);
    return Vec::mul(dy, Vec::fmadd(Vec::mul(c, du2), sigmoid_slope(p), sigmoid_value(u2, p)));
  } else if constexpr (K == ActKind::kSilu) {
    const SigmoidParts p = sigmoid_parts(x);
    return Vec::mul(dy, Vec::fmadd(x, sigmoid_slope(p), sigmoid_value(x, p)));
  } else {  // softplus: sigmoid(x), 1 above the threshold
    const F s = sigmoid_value(x, sigmoid_parts(x));
    return Vec::select(Vec::gt(x, vc(kSoftplusThreshold)), dy, Vec::mul(dy, s));
  }
}

// The last n % kWidth elements go through a padded stack copy, so every
// element is computed by the same vector code.
template <ActKind K>
void forward_kernel(const float* x, float* y, std::size_t n, float alpha_s) {
  const F alpha = vc(alpha_s);
  std::size_t i = 0;
  for (; i + 2 * Vec::kWidth <= n; i += 2 * Vec::kWidth) {
    const F a = forward_vec<K>(Vec::load(x + i), alpha);
    const F b = forward_vec<K>(Vec::load(x + i + Vec::kWidth), alpha);
    Vec::store(y + i, a);
    Vec::store(y + i + Vec::kWidth, b);
  }
  for (; i + Vec::kWidth <= n; i += Vec::kWidth) Vec::store(y + i, forward_vec<K>(Vec::load(x + i), alpha));
  if (i < n) {
    float bx[Vec::kWidth] = {}, by[Vec::kWidth];
    std::memcpy(bx, x + i, (n - i) * sizeof(float));
    Vec::store(by, forward_vec<K>(Vec::load(bx), alpha));
    std::memcpy(y + i, by, (n - i) * sizeof(float));
  }
}

template <ActKind K>
void backward_kernel(const float* x, const float* y, const float* dy, float* dx, std::size_t n, float alpha_s) {
  const F alpha = vc(alpha_s);
  std::size_t i = 0;
  for (; i + Vec::kWidth <= n; i += Vec::kWidth) {
    Vec::store(dx + i, backward_vec<K>(Vec::load(x + i), Vec::load(y + i), Vec::load(dy + i), alpha));
  }
  if (i < n) {
    float bx[Vec::kWidth] = {}, byv[Vec::kWidth] = {}, bdy[Vec::kWidth] = {}, bdx[Vec::kWidth];
    const std::size_t bytes = (n - i) * sizeof(float);
    std::memcpy(bx, x + i, bytes);
    std::memcpy(byv, y + i, bytes);
    std::memcpy(bdy, dy + i, bytes);
    Vec::store(bdx, backward_vec<K>(Vec::load(bx), Vec::load(byv), Vec::load(bdy), alpha));
    std::memcpy(dx + i, bdx, bytes);
  }
}

// backward_kernel on columns [c0, c1) of every row, rows in order, each vector of dx added into
// db[c0, c1) (kept in L1 by the driver's column blocks) right after it is computed: bias_grad's
// sums lane by lane. Row-major, so every stream is contiguous (column-major blocks with sums in
// registers measured 1.6x slower: a 2048-float row stride defeats the prefetchers).
template <ActKind K>
void backward_bias_kernel(const float* x, const float* y, const float* dy, float* dx, float* db, std::size_t rows,
                          std::size_t cols, std::size_t c0, std::size_t c1, float alpha_s) {
  constexpr std::size_t W = Vec::kWidth;
  const F alpha = vc(alpha_s);
  const std::size_t full = c0 + (c1 - c0) / W * W, w = c1 - full;
  for (std::size_t c = c0; c < full; c += W) Vec::store(db + c, vc(0.0f));
  float tail_sum[W] = {};
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t off = r * cols;
    for (std::size_t c = c0; c < full; c += W) {
      const std::size_t o = off + c;
      const F g = backward_vec<K>(Vec::load(x + o), Vec::load(y + o), Vec::load(dy + o), alpha);
      Vec::store(dx + o, g);
      Vec::store(db + c, Vec::add(Vec::load(db + c), g));
    }
    if (w) {  // the partial last vector through padded copies, as backward_kernel's tail
      const std::size_t o = off + full;
      float bx[W] = {}, byv[W] = {}, bdy[W] = {}, bdx[W];
      std::memcpy(bx, x + o, w * sizeof(float));
      std::memcpy(byv, y + o, w * sizeof(float));
      std::memcpy(bdy, dy + o, w * sizeof(float));
      const F g = backward_vec<K>(Vec::load(bx), Vec::load(byv), Vec::load(bdy), alpha);
      Vec::store(bdx, g);
      std::memcpy(dx + o, bdx, w * sizeof(float));
      Vec::store(tail_sum, Vec::add(Vec::load(tail_sum), g));
    }
  }
  if (w) std::memcpy(db + full, tail_sum, w * sizeof(float));
}

// Row helpers. Tails are padded: -inf for max/exp (exp(-inf) = 0), 0 for sums.
inline float row_max(const float* x, std::size_t cols) {
  F m = vc(-INFINITY);
  std::size_t c = 0;
  for (; c + Vec::kWidth <= cols; c += Vec::kWidth) m = Vec::max_num(m, Vec::load(x + c));
  float best = Vec::reduce_max(m);
  for (; c < cols; ++c) best = x[c] > best ? x[c] : best;
  return best;
}

// sum of exp(x - m); also stores the exponentials into `out` when it is non-null.
inline float row_exp_sum(const float* x, float m_s, float* out, std::size_t cols) {
  const F m = vc(m_s);
  F acc = vc(0.0f);
  std::size_t c = 0;
  for (; c + Vec::kWidth <= cols; c += Vec::kWidth) {
    const F e = v_exp(Vec::sub(Vec::load(x + c), m));
    if (out) Vec::store(out + c, e);
    acc = Vec::add(acc, e);
  }
  if (c < cols) {
    float bx[Vec::kWidth], be[Vec::kWidth];
    for (std::size_t k = 0; k < Vec::kWidth; ++k) bx[k] = c + k < cols ? x[c + k] : -INFINITY;
    const F e = v_exp(Vec::sub(Vec::load(bx), m));
    Vec::store(be, e);
    if (out) std::memcpy(out + c, be, (cols - c) * sizeof(float));
    acc = Vec::add(acc, e);
  }
  return Vec::reduce_add(acc);
}

inline float row_dot(const float* a, const float* b, std::size_t cols) {
  F acc = vc(0.0f);
  std::size_t c = 0;
  for (; c + Vec::kWidth <= cols; c += Vec::kWidth) acc = Vec::fmadd(Vec::load(a + c), Vec::load(b + c), acc);
  float tail = 0.0f;
  for (; c < cols; ++c) tail += a[c] * b[c];
  return Vec::reduce_add(acc) + tail;
}

inline float row_sum(const float* a, std::size_t cols) {
  F acc = vc(0.0f);
  std::size_t c = 0;
  for (; c + Vec::kWidth <= cols; c += Vec::kWidth) acc = Vec::add(acc, Vec::load(a + c));
  float tail = 0.0f;
  for (; c < cols; ++c) tail += a[c];
  return Vec::reduce_add(acc) + tail;
}

// Applies op(c) -> F to every column; op gets a column offset and whether it is the padded tail.
template <class Op>
inline void row_map(float* out, std::size_t cols, Op op) {
  std::size_t c = 0;
  for (; c + Vec::kWidth <= cols; c += Vec::kWidth) Vec::store(out + c, op(c, nullptr));
  if (c < cols) {
    float tmp[Vec::kWidth];
    Vec::store(tmp, op(c, &cols));
    std::memcpy(out + c, tmp, (cols - c) * sizeof(float));
  }
}

// Loads cols [c, c+kWidth) of a row, zero-padding past `cols` when tail is non-null.
inline F load_cols(const float* a, std::size_t c, const std::size_t* tail_cols) {
  if (!tail_cols) return Vec::load(a + c);
  float tmp[Vec::kWidth] = {};
  std::memcpy(tmp, a + c, (*tail_cols - c) * sizeof(float));
  return Vec::load(tmp);
}

void softmax_forward_rows(const float* x, float* y, std::size_t rows, std::size_t cols) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float m = row_max(xr, cols);
    const F inv = vc(1.0f / row_exp_sum(xr, m, yr, cols));
    row_map(yr, cols, [&](std::size_t c, const std::size_t* t) { return Vec::mul(load_cols(yr, c, t), inv); });
  }
}

void softmax_backward_rows(const float* y, const float* dy, float* dx, std::size_t rows, std::size_t cols) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* yr = y + r * cols;
    const float* dyr = dy + r * cols;
    const F dot = vc(row_dot(dyr, yr, cols));
    row_map(dx + r * cols, cols, [&](std::size_t c, const std::size_t* t) {
      return Vec::mul(load_cols(yr, c, t), Vec::sub(load_cols(dyr, c, t), dot));
    });
  }
}

void log_softmax_forward_rows(const float* x, float* y, std::size_t rows, std::size_t cols) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    const float m_s = row_max(xr, cols);
    const F m = vc(m_s);
    const F log_sum = vc(std::log(row_exp_sum(xr, m_s, nullptr, cols)));
    row_map(y + r * cols, cols, [&](std::size_t c, const std::size_t* t) {
      return Vec::sub(Vec::sub(load_cols(xr, c, t), m), log_sum);
    });
  }
}

void log_softmax_backward_rows(const float* y, const float* dy, float* dx, std::size_t rows, std::size_t cols) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* yr = y + r * cols;
    const float* dyr = dy + r * cols;
    const F sum = vc(row_sum(dyr, cols));
    row_map(dx + r * cols, cols, [&](std::size_t c, const std::size_t* t) {
      // dy - softmax(x)*sum(dy), softmax(x) = exp(y) (y <= 0).
      return Vec::sub(load_cols(dyr, c, t), Vec::mul(v_exp(load_cols(yr, c, t)), sum));
    });
  }
}

ActivationKernels make_activation_table(const char* isa) {
  return ActivationKernels{GW_ACTIVATION_TABLE_INIT(isa)};
}

}  // namespace
}  // namespace gw
