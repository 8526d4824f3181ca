// Generic SIMD loss kernels over the struct V of simd.h. Included inside
// an anonymous namespace of each ISA translation unit (losses_<isa>.cpp) after
// simd.h; needs <algorithm> and <cstddef>. Sums keep float lanes for
// kBlockVecs vectors, then flush to double; every loop has a scalar tail that
// uses the scalar math library.

#include "kernels/losses_tail_inl.h"

constexpr std::size_t kBlockVecs = 64;

// exp_v/log_v are called two or three times per vector step; GCC otherwise keeps them out of line.
#if defined(__GNUC__)
#define GW_LOSS_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define GW_LOSS_INLINE __forceinline
#else
#define GW_LOSS_INLINE inline
#endif

template <class Step, class Flush>
std::size_t blocked(std::size_t n, Step&& step, Flush&& flush) {
  const std::size_t nv = n - n % V::W;
  std::size_t i = 0;
  while (i < nv) {
    const std::size_t end = std::min(nv, i + kBlockVecs * V::W);
    for (; i < end; i += V::W) step(i);
    flush();
  }
  return i;
}

// exp(x), Cephes expf: x = k*ln2 + r, |r| <= ln2/2, degree-6 polynomial, times 2^k.
// x is clamped to [-87.3, 88.3] so 2^k stays a normal float (exp(-87.3) ~ 1.2e-38 stands in for 0).
GW_LOSS_INLINE V::F exp_v(V::F x) {
  x = V::min(V::max(x, V::set1(-87.3f)), V::set1(88.3f));
  const V::F k = V::round(V::mul(x, V::set1(1.44269504088896341f)));
  x = V::fma(k, V::set1(-0.693359375f), x);
  x = V::fma(k, V::set1(2.12194440e-4f), x);
  V::F y = V::set1(1.9875691500e-4f);
  y = V::fma(y, x, V::set1(1.3981999507e-3f));
  y = V::fma(y, x, V::set1(8.3334519073e-3f));
  y = V::fma(y, x, V::set1(4.1665795894e-2f));
  y = V::fma(y, x, V::set1(1.6666665459e-1f));
  y = V::fma(y, x, V::set1(5.0000001201e-1f));
  y = V::add(V::fma(y, V::mul(x, x), x), V::set1(1.0f));
  return V::mul(y, V::pow2i(k));
}

// log(x) for x >= 0, Cephes logf; subnormals are scaled by 2^23 first; log(0) gives -1e30
// (every caller clamps at -100 like PyTorch).
GW_LOSS_INLINE V::F log_v(V::F x0) {
  const V::F min_normal = V::set1(1.17549435e-38f);
  const V::F x = V::select_lt(x0, min_normal, V::mul(x0, V::set1(8388608.0f)), x0);
  V::F e;
  V::F m = V::frexp(x, &e);
  e = V::sub(e, V::select_lt(x0, min_normal, V::set1(23.0f), V::zero()));
  const V::F sqrthf = V::set1(0.707106781186547524f), one = V::set1(1.0f);
  e = V::sub(e, V::select_lt(m, sqrthf, one, V::zero()));
  m = V::select_lt(m, sqrthf, V::sub(V::add(m, m), one), V::sub(m, one));
  const V::F z = V::mul(m, m);
  V::F y = V::set1(7.0376836292e-2f);
  y = V::fma(y, m, V::set1(-1.1514610310e-1f));
  y = V::fma(y, m, V::set1(1.1676998740e-1f));
  y = V::fma(y, m, V::set1(-1.2420140846e-1f));
  y = V::fma(y, m, V::set1(1.4249322787e-1f));
  y = V::fma(y, m, V::set1(-1.6668057665e-1f));
  y = V::fma(y, m, V::set1(2.0000714765e-1f));
  y = V::fma(y, m, V::set1(-2.4999993993e-1f));
  y = V::fma(y, m, V::set1(3.3333331174e-1f));
  y = V::mul(V::mul(y, m), z);
  y = V::fma(e, V::set1(-2.12194440e-4f), y);
  y = V::fma(z, V::set1(-0.5f), y);
  V::F r = V::fma(e, V::set1(0.693359375f), V::add(m, y));
  return V::select_lt(x0, V::set1(1e-45f), V::set1(-1e30f), r);
}

// Runs step(k, acc) over the full vectors, adding acc's float lanes to *total after each block of
// kBlockVecs (then zeroing them); returns where the scalar tail starts.
template <class Step>
std::size_t summed_blocks(std::size_t n, double* total, Step&& step) {
  V::F acc = V::zero();
  return blocked(
      n, [&](std::size_t k) { step(k, acc); },
      [&] {
        *total += V::hsum_d(acc);
        acc = V::zero();
      });
}

double mse_v(const float* p, const float* t, std::size_t n, float scale, float* d) {
  double total = 0.0;
  const V::F s2 = V::set1(2.0f * scale);
  const std::size_t i = summed_blocks(n, &total, [&](std::size_t k, V::F& acc) {
    const V::F e = V::sub(V::load(p + k), V::load(t + k));
    acc = V::fma(e, e, acc);
    if (d) V::store(d + k, V::mul(e, s2));
  });
  return mse_tail(p, t, i, n, scale, d, total);
}

double mae_v(const float* p, const float* t, std::size_t n, float scale, float* d) {
  double total = 0.0;
  const V::F vs = V::set1(scale), vns = V::set1(-scale), zero = V::zero();
  const std::size_t i = summed_blocks(n, &total, [&](std::size_t k, V::F& acc) {
    const V::F e = V::sub(V::load(p + k), V::load(t + k));
    acc = V::add(acc, V::abs(e));
    // sign(e) * scale with sign(0) = 0
    if (d) V::store(d + k, V::select_lt(zero, e, vs, V::select_lt(e, zero, vns, zero)));
  });
  return mae_tail(p, t, i, n, scale, d, total);
}

double huber_v(const float* p, const float* t, std::size_t n, float delta, float scale, float* d) {
  double total = 0.0;
  const V::F vd = V::set1(delta), vnd = V::set1(-delta), half = V::set1(0.5f), hd = V::set1(0.5f * delta);
  const V::F vs = V::set1(scale);
  const std::size_t i = summed_blocks(n, &total, [&](std::size_t k, V::F& acc) {
    const V::F e = V::sub(V::load(p + k), V::load(t + k));
    const V::F a = V::abs(e);
    const V::F l = V::select_lt(a, vd, V::mul(half, V::mul(e, e)), V::mul(vd, V::sub(a, hd)));
    acc = V::add(acc, l);
    if (d) V::store(d + k, V::mul(V::min(V::max(e, vnd), vd), vs));
  });
  return huber_tail(p, t, i, n, delta, scale, d, total);
}

double bce_v(const float* p, const float* t, std::size_t n, float scale, float* d) {
  double total = 0.0;
  const V::F one = V::set1(1.0f), floor_log = V::set1(-100.0f), tiny = V::set1(1e-12f), vs = V::set1(scale);
  const std::size_t i = summed_blocks(n, &total, [&](std::size_t k, V::F& acc) {
    const V::F vp = V::load(p + k), vt = V::load(t + k);
    const V::F q = V::sub(one, vp);
    const V::F lp = V::max(log_v(vp), floor_log);
    const V::F lq = V::max(log_v(q), floor_log);
    acc = V::sub(acc, V::fma(vt, lp, V::mul(V::sub(one, vt), lq)));
    if (d) V::store(d + k, V::mul(V::div(V::sub(vp, vt), V::max(V::mul(vp, q), tiny)), vs));
  });
  return bce_tail(p, t, i, n, scale, d, total);
}

double bce_logits_v(const float* z, const float* t, std::size_t n, float scale, float* d) {
  double total = 0.0;
  const V::F one = V::set1(1.0f), zero = V::zero(), vs = V::set1(scale);
  const std::size_t i = summed_blocks(n, &total, [&](std::size_t k, V::F& acc) {
    const V::F vz = V::load(z + k), vt = V::load(t + k);
    const V::F e = exp_v(V::sub(zero, V::abs(vz)));  // in (0, 1]: never overflows
    const V::F ope = V::add(one, e);
    acc = V::add(acc, V::add(V::sub(V::max(vz, zero), V::mul(vz, vt)), log_v(ope)));
    if (d) {
      const V::F r = V::div(one, ope);
      const V::F sig = V::select_lt(vz, zero, V::mul(e, r), r);
      V::store(d + k, V::mul(V::sub(sig, vt), vs));
    }
  });
  return bce_logits_tail(z, t, i, n, scale, d, total);
}

float row_max_v(const float* z, std::size_t n) {
  std::size_t i = 0;
  float m = z[0];
  if (n >= V::W) {
    V::F vm = V::load(z);
    for (i = V::W; i + V::W <= n; i += V::W) vm = V::max(vm, V::load(z + i));
    m = V::hmax(vm);
  }
  for (; i < n; ++i) m = std::max(m, z[i]);
  return m;
}

// exp(z[i] - m) of a short tail (r < W elements) in one vector; writes r values to e.
double exp_tail(const float* z, std::size_t r, float m, float* e) {
  float buf[V::W];
  for (std::size_t j = 0; j < V::W; ++j) buf[j] = j < r ? z[j] - m : 0.0f;
  V::store(buf, exp_v(V::load(buf)));
  double s = 0.0;
  for (std::size_t j = 0; j < r; ++j) {
    e[j] = buf[j];
    s += buf[j];
  }
  return s;
}

// Adds f(z - m) over the full vectors of z to *total (float lanes, flushed per block); returns where the tail starts.
template <class F>
std::size_t sum_shifted_blocks(const float* z, std::size_t n, float m, F&& f, double* total) {
  const V::F vm = V::set1(m);
  return summed_blocks(n, total, [&](std::size_t k, V::F& acc) { acc = V::add(acc, f(V::sub(V::load(z + k), vm))); });
}

double sum_exp_v(const float* z, std::size_t n, float m) {
  double total = 0.0;
  const std::size_t i = sum_shifted_blocks(z, n, m, [](V::F v) { return exp_v(v); }, &total);
  float tail[V::W];
  if (i < n) total += exp_tail(z + i, n - i, m, tail);
  return total;
}

double exp_sum_store_v(const float* z, std::size_t n, float m, float* e) {
  double total = 0.0;
  const V::F vm = V::set1(m);
  const std::size_t i = summed_blocks(n, &total, [&](std::size_t k, V::F& acc) {
    const V::F v = exp_v(V::sub(V::load(z + k), vm));
    V::store(e + k, v);
    acc = V::add(acc, v);
  });
  if (i < n) total += exp_tail(z + i, n - i, m, e + i);
  return total;
}

double sum_shifted_v(const float* z, std::size_t n, float m) {
  double total = 0.0;
  std::size_t i = sum_shifted_blocks(z, n, m, [](V::F v) { return v; }, &total);
  for (; i < n; ++i) total += z[i] - m;
  return total;
}

double dot_shifted_v(const float* q, const float* z, std::size_t n, float m) {
  double total = 0.0;
  const V::F vm = V::set1(m);
  std::size_t i = summed_blocks(
      n, &total, [&](std::size_t k, V::F& acc) { acc = V::fma(V::load(q + k), V::sub(V::load(z + k), vm), acc); });
  for (; i < n; ++i) total += static_cast<double>(q[i]) * (z[i] - m);
  return total;
}

void softmax_grad_v(const float* e, const float* q, std::size_t n, float inv_s, float q_uniform, float scale, float* d) {
  const V::F vi = V::set1(inv_s), vu = V::set1(q_uniform), vs = V::set1(scale);
  std::size_t i = 0;
  for (; i + V::W <= n; i += V::W) {
    V::F g = V::sub(V::mul(V::load(e + i), vi), vu);
    if (q) g = V::sub(g, V::load(q + i));
    V::store(d + i, V::mul(g, vs));
  }
  for (; i < n; ++i) d[i] = (e[i] * inv_s - (q ? q[i] : 0.0f) - q_uniform) * scale;
}

LossKernels make_loss_table(const char* isa) {
  return LossKernels{isa,          mse_v,         mae_v,         huber_v,           bce_v,         bce_logits_v,
                     row_max_v,    sum_exp_v,     sum_shifted_v, dot_shifted_v,     exp_sum_store_v,
                     softmax_grad_v};
}
