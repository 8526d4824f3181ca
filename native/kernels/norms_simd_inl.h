// Generic SIMD norms kernels over the struct V of simd.h. Included inside
// an anonymous namespace of each ISA translation unit (norms_<isa>.cpp) after
// simd.h; needs <algorithm> and <cstddef>. Reductions keep float lanes
// for kBlockVecs vectors, then flush them to double (see norms.h); every loop
// ends with a scalar tail using the same formula.

#include "kernels/norms_tail_inl.h"

constexpr std::size_t kBlockVecs = 64;

// Runs step(i, u) for every full vector at i in [0, n - n % W), alternating
// u = 0, 1 so kernels can keep two independent accumulator sets (hiding the
// add/FMA latency), and calls flush() after each block of kBlockVecs vectors.
// Returns the index where the scalar tail starts.
template <class Step, class Flush>
std::size_t blocked(std::size_t n, Step&& step, Flush&& flush) {
  const std::size_t nv = n - n % V::W;
  std::size_t i = 0;
  while (i < nv) {
    const std::size_t end = std::min(nv, i + kBlockVecs * V::W);
    for (; i + 2 * V::W <= end; i += 2 * V::W) {
      step(i, 0);
      step(i + V::W, 1);
    }
    if (i < end) {
      step(i, 0);
      i += V::W;
    }
    flush();
  }
  return i;
}

double sum_v(const float* x, std::size_t n) {
  double total = 0.0;
  V::F a[2] = {V::zero(), V::zero()};
  std::size_t i = blocked(
      n, [&](std::size_t k, int u) { a[u] = V::add(a[u], V::load(x + k)); },
      [&] {
        total += V::hsum_d(V::add(a[0], a[1]));
        a[0] = a[1] = V::zero();
      });
  for (; i < n; ++i) total += x[i];
  return total;
}

void sum_dev_v(const float* x, std::size_t n, float m0, double* s1, double* s2) {
  double t1 = 0.0, t2 = 0.0;
  const V::F vm = V::set1(m0);
  V::F a1[2] = {V::zero(), V::zero()}, a2[2] = {V::zero(), V::zero()};
  std::size_t i = blocked(
      n,
      [&](std::size_t k, int u) {
        const V::F d = V::sub(V::load(x + k), vm);
        a1[u] = V::add(a1[u], d);
        a2[u] = V::fma(d, d, a2[u]);
      },
      [&] {
        t1 += V::hsum_d(V::add(a1[0], a1[1]));
        t2 += V::hsum_d(V::add(a2[0], a2[1]));
        a1[0] = a1[1] = a2[0] = a2[1] = V::zero();
      });
  for (; i < n; ++i) {
    const float d = x[i] - m0;
    t1 += d;
    t2 += static_cast<double>(d) * d;
  }
  *s1 = t1;
  *s2 = t2;
}

void normalize_v(const float* x, std::size_t n, float mh, float ml, float scale, float shift, float* y) {
  const V::F vh = V::set1(mh), vl = V::set1(ml), vs = V::set1(scale), vt = V::set1(shift);
  std::size_t i = 0;
  for (; i + V::W <= n; i += V::W) V::store(y + i, V::fma(V::sub(V::sub(V::load(x + i), vh), vl), vs, vt));
  for (; i < n; ++i) y[i] = ((x[i] - mh) - ml) * scale + shift;
}

void normalize_affine_v(const float* x, std::size_t n, float mh, float ml, float invstd, const float* gamma,
                        const float* beta, float* y) {
  const V::F vh = V::set1(mh), vl = V::set1(ml), vs = V::set1(invstd);
  std::size_t i = 0;
  for (; i + V::W <= n; i += V::W) {
    const V::F xhat = V::mul(V::sub(V::sub(V::load(x + i), vh), vl), vs);
    V::store(y + i, V::fma(xhat, V::load(gamma + i), V::load(beta + i)));
  }
  for (; i < n; ++i) y[i] = (((x[i] - mh) - ml) * invstd) * gamma[i] + beta[i];
}

void normalize_cols_v(const float* x, std::size_t n, const float* mh, const float* scale, const float* shift, float* y) {
  std::size_t i = 0;
  for (; i + V::W <= n; i += V::W) {
    V::store(y + i, V::fma(V::sub(V::load(x + i), V::load(mh + i)), V::load(scale + i), V::load(shift + i)));
  }
  for (; i < n; ++i) y[i] = (x[i] - mh[i]) * scale[i] + shift[i];
}

// Column reductions walk the rows of a block in order (contiguous, prefetch
// friendly) into float accumulators of one tile of columns that stay in L1,
// then flush them into the double sums after every kColRowBlock rows.
constexpr std::size_t kColRowBlock = 32;
constexpr std::size_t kColTile = 256;

void flush_tile(const float* acc, std::size_t n, double* dst) {
  for (std::size_t j = 0; j < n; ++j) dst[j] += acc[j];
}

void col_sum_v(const float* x, std::size_t stride, std::size_t rows, std::size_t n, double* sum) {
  alignas(64) float acc[kColTile];
  for (std::size_t j0 = 0; j0 < n; j0 += kColTile) {
    const std::size_t m = std::min(kColTile, n - j0);
    for (std::size_t r0 = 0; r0 < rows; r0 += kColRowBlock) {
      const std::size_t r1 = std::min(rows, r0 + kColRowBlock);
      std::fill(acc, acc + m, 0.0f);
      for (std::size_t r = r0; r < r1; ++r) {
        const float* p = x + r * stride + j0;
        std::size_t j = 0;
        for (; j + V::W <= m; j += V::W) V::store(acc + j, V::add(V::load(acc + j), V::load(p + j)));
        for (; j < m; ++j) acc[j] += p[j];
      }
      flush_tile(acc, m, sum + j0);
    }
  }
}

void col_sum_dev_v(const float* x, std::size_t stride, std::size_t rows, std::size_t n, const float* m0, double* s1,
                   double* s2) {
  alignas(64) float a1[kColTile], a2[kColTile];
  for (std::size_t j0 = 0; j0 < n; j0 += kColTile) {
    const std::size_t m = std::min(kColTile, n - j0);
    const float* mm = m0 + j0;
    for (std::size_t r0 = 0; r0 < rows; r0 += kColRowBlock) {
      const std::size_t r1 = std::min(rows, r0 + kColRowBlock);
      std::fill(a1, a1 + m, 0.0f);
      std::fill(a2, a2 + m, 0.0f);
      for (std::size_t r = r0; r < r1; ++r) {
        const float* p = x + r * stride + j0;
        std::size_t j = 0;
        for (; j + V::W <= m; j += V::W) {
          const V::F d = V::sub(V::load(p + j), V::load(mm + j));
          V::store(a1 + j, V::add(V::load(a1 + j), d));
          V::store(a2 + j, V::fma(d, d, V::load(a2 + j)));
        }
        for (; j < m; ++j) {
          const float d = p[j] - mm[j];
          a1[j] += d;
          a2[j] += d * d;
        }
      }
      flush_tile(a1, m, s1 + j0);
      flush_tile(a2, m, s2 + j0);
    }
  }
}

// sums over i of g_i, g_i * d_i and d_i with d_i = x_i - mh, g_i = gv(k) per vector, gs(i) in the tail.
template <class GV, class GS>
void dot_stats_impl(const float* x, std::size_t n, float mh, GV&& gv, GS&& gs, double* s1, double* s2, double* s3) {
  double t1 = 0.0, t2 = 0.0, t3 = 0.0;
  const V::F vh = V::set1(mh);
  V::F a1[2] = {V::zero(), V::zero()}, a2[2] = {V::zero(), V::zero()}, a3[2] = {V::zero(), V::zero()};
  std::size_t i = blocked(
      n,
      [&](std::size_t k, int u) {
        const V::F d = V::sub(V::load(x + k), vh);
        const V::F g = gv(k);
        a1[u] = V::add(a1[u], g);
        a2[u] = V::fma(g, d, a2[u]);
        a3[u] = V::add(a3[u], d);
      },
      [&] {
        t1 += V::hsum_d(V::add(a1[0], a1[1]));
        t2 += V::hsum_d(V::add(a2[0], a2[1]));
        t3 += V::hsum_d(V::add(a3[0], a3[1]));
        a1[0] = a1[1] = a2[0] = a2[1] = a3[0] = a3[1] = V::zero();
      });
  dot_stats_tail(x, i, n, mh, gs, &t1, &t2, &t3);
  *s1 = t1;
  *s2 = t2;
  *s3 = t3;
}

void dot_stats_v(const float* x, const float* dy, std::size_t n, float mh, double* sdy, double* sdyx, double* sx) {
  dot_stats_impl(
      x, n, mh, [&](std::size_t k) { return V::load(dy + k); }, [&](std::size_t k) { return dy[k]; }, sdy, sdyx, sx);
}

void dot_stats_gamma_v(const float* x, const float* dy, const float* gamma, std::size_t n, float mh, double* sg,
                       double* sgx, double* sx) {
  dot_stats_impl(
      x, n, mh, [&](std::size_t k) { return V::mul(V::load(dy + k), V::load(gamma + k)); },
      [&](std::size_t k) { return dy[k] * gamma[k]; }, sg, sgx, sx);
}

void backward_apply_v(const float* x, const float* dy, std::size_t n, float mh, float ml, float a, float b, float c,
                      float* dx) {
  const V::F vh = V::set1(mh), vl = V::set1(ml), va = V::set1(a), vb = V::set1(b), vc = V::set1(c);
  std::size_t i = 0;
  for (; i + V::W <= n; i += V::W) {
    const V::F xmu = V::sub(V::sub(V::load(x + i), vh), vl);
    V::store(dx + i, V::fma(va, V::load(dy + i), V::fma(vb, xmu, vc)));
  }
  for (; i < n; ++i) dx[i] = a * dy[i] + b * ((x[i] - mh) - ml) + c;
}

void backward_apply_gamma_v(const float* x, const float* dy, const float* gamma, std::size_t n, float mh, float ml,
                            float a, float b, float c, float* dx) {
  const V::F vh = V::set1(mh), vl = V::set1(ml), va = V::set1(a), vb = V::set1(b), vc = V::set1(c);
  std::size_t i = 0;
  for (; i + V::W <= n; i += V::W) {
    const V::F xmu = V::sub(V::sub(V::load(x + i), vh), vl);
    const V::F g = V::mul(V::load(gamma + i), V::load(dy + i));
    V::store(dx + i, V::fma(va, g, V::fma(vb, xmu, vc)));
  }
  for (; i < n; ++i) dx[i] = a * gamma[i] * dy[i] + b * ((x[i] - mh) - ml) + c;
}

void backward_apply_cols_v(const float* x, const float* dy, std::size_t n, const float* mh, const float* a,
                           const float* b, const float* c, float* dx) {
  std::size_t i = 0;
  for (; i + V::W <= n; i += V::W) {
    const V::F xmu = V::sub(V::load(x + i), V::load(mh + i));
    V::store(dx + i, V::fma(V::load(a + i), V::load(dy + i), V::fma(V::load(b + i), xmu, V::load(c + i))));
  }
  for (; i < n; ++i) dx[i] = a[i] * dy[i] + b[i] * (x[i] - mh[i]) + c[i];
}

void col_sum_dot_v(const float* x, const float* dy, std::size_t stride, std::size_t rows, std::size_t n,
                   const float* mh, double* sdy, double* sdyx, double* sx) {
  alignas(64) float a1[kColTile], a2[kColTile], a3[kColTile];
  for (std::size_t j0 = 0; j0 < n; j0 += kColTile) {
    const std::size_t m = std::min(kColTile, n - j0);
    const float* mm = mh + j0;
    for (std::size_t r0 = 0; r0 < rows; r0 += kColRowBlock) {
      const std::size_t r1 = std::min(rows, r0 + kColRowBlock);
      std::fill(a1, a1 + m, 0.0f);
      std::fill(a2, a2 + m, 0.0f);
      std::fill(a3, a3 + m, 0.0f);
      for (std::size_t r = r0; r < r1; ++r) {
        const float* p = x + r * stride + j0;
        const float* q = dy + r * stride + j0;
        std::size_t j = 0;
        for (; j + V::W <= m; j += V::W) {
          const V::F d = V::sub(V::load(p + j), V::load(mm + j));
          const V::F g = V::load(q + j);
          V::store(a1 + j, V::add(V::load(a1 + j), g));
          V::store(a2 + j, V::fma(g, d, V::load(a2 + j)));
          V::store(a3 + j, V::add(V::load(a3 + j), d));
        }
        for (; j < m; ++j) {
          const float d = p[j] - mm[j];
          a1[j] += q[j];
          a2[j] += q[j] * d;
          a3[j] += d;
        }
      }
      flush_tile(a1, m, sdy + j0);
      flush_tile(a2, m, sdyx + j0);
      flush_tile(a3, m, sx + j0);
    }
  }
}

void col_add_affine_grads_v(const float* x, const float* dy, std::size_t n, float mh, float ml, float invstd,
                            float* acc_dg, float* acc_db) {
  const V::F vh = V::set1(mh), vl = V::set1(ml), vs = V::set1(invstd);
  std::size_t i = 0;
  for (; i + V::W <= n; i += V::W) {
    const V::F xhat = V::mul(V::sub(V::sub(V::load(x + i), vh), vl), vs);
    const V::F g = V::load(dy + i);
    V::store(acc_dg + i, V::fma(g, xhat, V::load(acc_dg + i)));
    V::store(acc_db + i, V::add(V::load(acc_db + i), g));
  }
  for (; i < n; ++i) {
    acc_dg[i] += dy[i] * (((x[i] - mh) - ml) * invstd);
    acc_db[i] += dy[i];
  }
}

NormKernels make_norm_table(const char* isa) {
  return NormKernels{isa,
                     sum_v,
                     sum_dev_v,
                     normalize_v,
                     normalize_affine_v,
                     normalize_cols_v,
                     col_sum_v,
                     col_sum_dev_v,
                     dot_stats_v,
                     dot_stats_gamma_v,
                     backward_apply_v,
                     backward_apply_gamma_v,
                     backward_apply_cols_v,
                     col_sum_dot_v,
                     col_add_affine_grads_v};
}
