// optim: the fused step kernels written once over a thin vector layer V.
// Included by each ISA translation unit (sse2, avx2, avx512, neon) after it
// defines its vector type; everything here lives in an anonymous namespace,
// so every unit gets its own copy compiled with its own flags (no ODR clash).
//
// V provides: T, kWidth, load, store, set1, zero, add, sub, mul, div, sqrt,
// max, fmadd(a, b, c) = a*b + c, abs, sign (-1/0/+1), clamp (NaN kept),
// any_nan. Each ISA kernel runs full vectors with V and the tail with
// ScalarLane, so the tail is always written and never reads past `end`.
//
// The per-element math matches optim_scalar.cpp (the reference); only FMA
// contraction differs. Non-finite gradients are detected in the same pass by
// accumulating g*0 (NaN for NaN or +-Inf, else 0) and testing once at the end.
#pragma once
#include <cmath>
#include <cstddef>

#include "kernels/optim.h"

namespace gw {
namespace {

// One float at a time: the tail of every SIMD loop.
struct ScalarLane {
  using T = float;
  static constexpr std::size_t kWidth = 1;
  static T load(const float* p) { return *p; }
  static void store(float* p, T v) { *p = v; }
  static T set1(float v) { return v; }
  static T zero() { return 0.0f; }
  static T add(T a, T b) { return a + b; }
  static T sub(T a, T b) { return a - b; }
  static T mul(T a, T b) { return a * b; }
  static T div(T a, T b) { return a / b; }
  static T sqrt(T a) { return std::sqrt(a); }
  static T max(T a, T b) { return std::fmax(a, b); }
  static T fmadd(T a, T b, T c) { return a * b + c; }
  static T abs(T a) { return std::fabs(a); }
  static T sign(T a) { return static_cast<float>((a > 0.0f) - (a < 0.0f)); }
  static T clamp(T v, T lo, T hi) { return v < lo ? lo : (v > hi ? hi : v); }
  static bool any_nan(T a) { return a != a; }
};

template <class V>
inline typename V::T effective_grad(const OptimStepArgs& a, typename V::T g, typename V::T p) {
  if (a.weight_decay != 0.0f) g = V::fmadd(V::set1(a.weight_decay), p, g);
  if (a.l1 != 0.0f) g = V::fmadd(V::set1(a.l1), V::sign(p), g);
  return g;
}

// State s[i..i+w) or zero on the first step (fresh state, torch creates it there).
template <class V>
inline typename V::T load_state(const OptimStepArgs& a, const float* s, std::size_t i) {
  return a.first_step ? V::zero() : V::load(s + i);
}

template <class V>
inline void sgd_block(const OptimStepArgs& a, std::size_t i, typename V::T& bad) {
  using T = typename V::T;
  const T raw = V::load(a.grad + i);
  bad = V::fmadd(raw, V::zero(), bad);
  const T p = V::load(a.param + i);
  T g = effective_grad<V>(a, raw, p);
  if (a.has_momentum) {
    const T buf = a.first_step ? g : V::fmadd(V::set1(a.one_minus_a), g, V::mul(V::load(a.s1 + i), V::set1(a.a)));
    V::store(a.s1 + i, buf);
    g = a.flag ? V::fmadd(V::set1(a.a), buf, g) : buf;
  }
  V::store(a.param + i, V::fmadd(V::set1(-a.lr), g, p));
}

template <class V>
inline void adagrad_block(const OptimStepArgs& a, std::size_t i, typename V::T& bad) {
  using T = typename V::T;
  const T raw = V::load(a.grad + i);
  bad = V::fmadd(raw, V::zero(), bad);
  const T p = V::load(a.param + i);
  const T g = effective_grad<V>(a, raw, p);
  const T sum = V::fmadd(g, g, a.first_step ? V::set1(a.b) : V::load(a.s1 + i));
  V::store(a.s1 + i, sum);
  const T std_dev = V::add(V::sqrt(sum), V::set1(a.eps));
  V::store(a.param + i, V::fmadd(V::set1(-a.lr), V::div(g, std_dev), p));
}

template <class V>
inline void rmsprop_block(const OptimStepArgs& a, std::size_t i, typename V::T& bad) {
  using T = typename V::T;
  const T raw = V::load(a.grad + i);
  bad = V::fmadd(raw, V::zero(), bad);
  const T p = V::load(a.param + i);
  const T g = effective_grad<V>(a, raw, p);
  const T alpha = V::set1(a.a);
  const T one_minus_alpha = V::set1(a.one_minus_a);
  const T v = V::fmadd(one_minus_alpha, V::mul(g, g), V::mul(load_state<V>(a, a.s1, i), alpha));
  V::store(a.s1 + i, v);
  T avg;
  if (a.flag) {  // centered
    const T gavg = V::fmadd(one_minus_alpha, g, V::mul(load_state<V>(a, a.s3, i), alpha));
    V::store(a.s3 + i, gavg);
    avg = V::sqrt(V::sub(v, V::mul(gavg, gavg)));
  } else {
    avg = V::sqrt(v);
  }
  avg = V::add(avg, V::set1(a.eps));
  if (a.has_momentum) {
    const T buf = V::fmadd(load_state<V>(a, a.s2, i), V::set1(a.b), V::div(g, avg));
    V::store(a.s2 + i, buf);
    V::store(a.param + i, V::fmadd(V::set1(-a.lr), buf, p));
  } else {
    V::store(a.param + i, V::fmadd(V::set1(-a.lr), V::div(g, avg), p));
  }
}

template <class V>
inline void adam_block(const OptimStepArgs& a, std::size_t i, typename V::T& bad) {
  using T = typename V::T;
  const T raw = V::load(a.grad + i);
  bad = V::fmadd(raw, V::zero(), bad);
  T p = V::load(a.param + i);
  if (a.param_scale != 1.0f) p = V::mul(p, V::set1(a.param_scale));  // AdamW: decoupled decay first
  const T g = effective_grad<V>(a, raw, p);
  const T m = V::fmadd(V::set1(a.one_minus_a), g, V::mul(load_state<V>(a, a.s1, i), V::set1(a.a)));
  const T v = V::fmadd(V::set1(a.one_minus_b), V::mul(g, g), V::mul(load_state<V>(a, a.s2, i), V::set1(a.b)));
  V::store(a.s1 + i, m);
  V::store(a.s2 + i, v);
  T v_used = v;
  if (a.flag) {  // amsgrad: running max of the raw v
    v_used = a.first_step ? v : V::max(V::load(a.s3 + i), v);
    V::store(a.s3 + i, v_used);
  }
  const T denom = V::add(V::div(V::sqrt(v_used), V::set1(a.bias_correction2_sqrt)), V::set1(a.eps));
  V::store(a.param + i, V::fmadd(V::set1(-a.lr), V::div(m, denom), p));
}

template <class V>
inline void adamax_block(const OptimStepArgs& a, std::size_t i, typename V::T& bad) {
  using T = typename V::T;
  const T raw = V::load(a.grad + i);
  bad = V::fmadd(raw, V::zero(), bad);
  const T p = V::load(a.param + i);
  const T g = effective_grad<V>(a, raw, p);
  const T m = V::fmadd(V::set1(a.one_minus_a), g, V::mul(load_state<V>(a, a.s1, i), V::set1(a.a)));
  const T u = V::max(V::mul(load_state<V>(a, a.s2, i), V::set1(a.b)), V::add(V::abs(g), V::set1(a.eps)));
  V::store(a.s1 + i, m);
  V::store(a.s2 + i, u);
  V::store(a.param + i, V::fmadd(V::set1(-a.lr), V::div(m, u), p));
}

template <class V>
inline void adadelta_block(const OptimStepArgs& a, std::size_t i, typename V::T& bad) {
  using T = typename V::T;
  const T raw = V::load(a.grad + i);
  bad = V::fmadd(raw, V::zero(), bad);
  const T p = V::load(a.param + i);
  const T g = effective_grad<V>(a, raw, p);
  const T rho = V::set1(a.a);
  const T one_minus_rho = V::set1(a.one_minus_a);
  const T eps = V::set1(a.eps);
  const T v = V::fmadd(one_minus_rho, V::mul(g, g), V::mul(load_state<V>(a, a.s1, i), rho));
  const T std_dev = V::sqrt(V::add(v, eps));
  const T acc = load_state<V>(a, a.s2, i);
  const T delta = V::mul(V::div(V::sqrt(V::add(acc, eps)), std_dev), g);
  V::store(a.s1 + i, v);
  V::store(a.s2 + i, V::fmadd(one_minus_rho, V::mul(delta, delta), V::mul(acc, rho)));
  V::store(a.param + i, V::fmadd(V::set1(-a.lr), delta, p));
}

// Full vectors of V, then the tail one float at a time.
template <class V, void (*Block)(const OptimStepArgs&, std::size_t, typename V::T&),
          void (*Tail)(const OptimStepArgs&, std::size_t, float&)>
bool run_step(const OptimStepArgs& args, std::size_t begin, std::size_t end) {
  // A local copy: stores through the float pointers then cannot alias the
  // coefficients, so they are loaded and broadcast once, outside the loop.
  const OptimStepArgs a = args;
  typename V::T bad = V::zero();
  std::size_t i = begin;
  for (; i + V::kWidth <= end; i += V::kWidth) Block(a, i, bad);
  float bad_tail = 0.0f;
  for (; i < end; ++i) Tail(a, i, bad_tail);
  return V::any_nan(bad) || ScalarLane::any_nan(bad_tail);
}

template <class V>
bool has_nonfinite_v(const float* x, std::size_t n) {
  typename V::T bad = V::zero();
  std::size_t i = 0;
  for (; i + V::kWidth <= n; i += V::kWidth) bad = V::fmadd(V::load(x + i), V::zero(), bad);
  float bad_tail = 0.0f;
  for (; i < n; ++i) bad_tail = x[i] * 0.0f + bad_tail;
  return V::any_nan(bad) || bad_tail != bad_tail;
}

template <class V>
void scale_v(float* x, std::size_t n, float s) {
  const typename V::T sv = V::set1(s);
  std::size_t i = 0;
  for (; i + V::kWidth <= n; i += V::kWidth) V::store(x + i, V::mul(V::load(x + i), sv));
  for (; i < n; ++i) x[i] = x[i] * s;
}

template <class V>
void clamp_v(float* x, std::size_t n, float lo, float hi) {
  const typename V::T lov = V::set1(lo);
  const typename V::T hiv = V::set1(hi);
  std::size_t i = 0;
  for (; i + V::kWidth <= n; i += V::kWidth) V::store(x + i, V::clamp(V::load(x + i), lov, hiv));
  for (; i < n; ++i) x[i] = ScalarLane::clamp(x[i], lo, hi);
}

// The table of one ISA; sum_squares is ISA-specific (it widens to double).
template <class V>
OptimKernels make_optim_table(const char* isa, double (*sum_squares)(const float*, std::size_t)) {
  return OptimKernels{isa,
                      run_step<V, sgd_block<V>, sgd_block<ScalarLane>>,
                      run_step<V, adagrad_block<V>, adagrad_block<ScalarLane>>,
                      run_step<V, rmsprop_block<V>, rmsprop_block<ScalarLane>>,
                      run_step<V, adam_block<V>, adam_block<ScalarLane>>,
                      run_step<V, adamax_block<V>, adamax_block<ScalarLane>>,
                      run_step<V, adadelta_block<V>, adadelta_block<ScalarLane>>,
                      sum_squares,
                      scale_v<V>,
                      clamp_v<V>,
                      has_nonfinite_v<V>};
}

}  // namespace
}  // namespace gw
