// Generic SIMD norms kernels over the struct V of norms_vec.h. Included inside
// an anonymous namespace of each ISA translation unit (norms_<isa>.cpp) after
// norms_vec.h; needs <algorithm> and <cstddef>. Reductions keep float lanes
// for kBlockVecs vectors, then flush them to double (see norms.h); every loop
// ends with a scalar tail using the same formula.

constexpr std::size_t kBlockVecs = 64;

// Runs step(i) for every full vector at i in [0, n - n % W), calling flush()
// after each block of kBlockVecs vectors. Returns the index where the tail starts.
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

double sum_v(const float* x, std::size_t n) {
  double total = 0.0;
  V::F a0 = V::zero(), a1 = V::zero();
  bool odd = false;
  std::size_t i = blocked(
      n,
      [&](std::size_t k) {
        // Two accumulators alternate to hide the add latency.
        if (odd) a1 = V::add(a1, V::load(x + k)); else a0 = V::add(a0, V::load(x + k));
        odd = !odd;
      },
      [&] {
        total += V::hsum_d(V::add(a0, a1));
        a0 = V::zero();
        a1 = V::zero();
      });
  for (; i < n; ++i) total += x[i];
  return total;
}

void sum_dev_v(const float* x, std::size_t n, float m0, double* s1, double* s2) {
  double t1 = 0.0, t2 = 0.0;
  const V::F vm = V::set1(m0);
  V::F a1 = V::zero(), a2 = V::zero();
  std::size_t i = blocked(
      n,
      [&](std::size_t k) {
        const V::F d = V::sub(V::load(x + k), vm);
        a1 = V::add(a1, d);
        a2 = V::fma(d, d, a2);
      },
      [&] {
        t1 += V::hsum_d(a1);
        t2 += V::hsum_d(a2);
        a1 = V::zero();
        a2 = V::zero();
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

void normalize_cols_v(const float* x, std::size_t n, const float* mh, const float* ml, const float* scale,
                      const float* shift, float* y) {
  std::size_t i = 0;
  for (; i + V::W <= n; i += V::W) {
    const V::F xmu = V::sub(V::sub(V::load(x + i), V::load(mh + i)), V::load(ml + i));
    V::store(y + i, V::fma(xmu, V::load(scale + i), V::load(shift + i)));
  }
  for (; i < n; ++i) y[i] = ((x[i] - mh[i]) - ml[i]) * scale[i] + shift[i];
}

void col_add_v(const float* x, std::size_t n, float* acc) {
  std::size_t i = 0;
  for (; i + V::W <= n; i += V::W) V::store(acc + i, V::add(V::load(acc + i), V::load(x + i)));
  for (; i < n; ++i) acc[i] += x[i];
}

void col_add_dev_v(const float* x, std::size_t n, const float* m0, float* s1, float* s2) {
  std::size_t i = 0;
  for (; i + V::W <= n; i += V::W) {
    const V::F d = V::sub(V::load(x + i), V::load(m0 + i));
    V::store(s1 + i, V::add(V::load(s1 + i), d));
    V::store(s2 + i, V::fma(d, d, V::load(s2 + i)));
  }
  for (; i < n; ++i) {
    const float d = x[i] - m0[i];
    s1[i] += d;
    s2[i] += d * d;
  }
}

void dot_stats_v(const float* x, const float* dy, std::size_t n, float mh, double* sdy, double* sdyx, double* sx) {
  double t1 = 0.0, t2 = 0.0, t3 = 0.0;
  const V::F vh = V::set1(mh);
  V::F a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
  std::size_t i = blocked(
      n,
      [&](std::size_t k) {
        const V::F d = V::sub(V::load(x + k), vh);
        const V::F g = V::load(dy + k);
        a1 = V::add(a1, g);
        a2 = V::fma(g, d, a2);
        a3 = V::add(a3, d);
      },
      [&] {
        t1 += V::hsum_d(a1);
        t2 += V::hsum_d(a2);
        t3 += V::hsum_d(a3);
        a1 = a2 = a3 = V::zero();
      });
  for (; i < n; ++i) {
    const float d = x[i] - mh;
    t1 += dy[i];
    t2 += static_cast<double>(dy[i]) * d;
    t3 += d;
  }
  *sdy = t1;
  *sdyx = t2;
  *sx = t3;
}

void dot_stats_gamma_v(const float* x, const float* dy, const float* gamma, std::size_t n, float mh, double* sg,
                       double* sgx, double* sx) {
  double t1 = 0.0, t2 = 0.0, t3 = 0.0;
  const V::F vh = V::set1(mh);
  V::F a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
  std::size_t i = blocked(
      n,
      [&](std::size_t k) {
        const V::F d = V::sub(V::load(x + k), vh);
        const V::F g = V::mul(V::load(dy + k), V::load(gamma + k));
        a1 = V::add(a1, g);
        a2 = V::fma(g, d, a2);
        a3 = V::add(a3, d);
      },
      [&] {
        t1 += V::hsum_d(a1);
        t2 += V::hsum_d(a2);
        t3 += V::hsum_d(a3);
        a1 = a2 = a3 = V::zero();
      });
  for (; i < n; ++i) {
    const float d = x[i] - mh;
    const float g = dy[i] * gamma[i];
    t1 += g;
    t2 += static_cast<double>(g) * d;
    t3 += d;
  }
  *sg = t1;
  *sgx = t2;
  *sx = t3;
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

void backward_apply_cols_v(const float* x, const float* dy, std::size_t n, const float* mh, const float* ml,
                           const float* a, const float* b, const float* c, float* dx) {
  std::size_t i = 0;
  for (; i + V::W <= n; i += V::W) {
    const V::F xmu = V::sub(V::sub(V::load(x + i), V::load(mh + i)), V::load(ml + i));
    V::store(dx + i, V::fma(V::load(a + i), V::load(dy + i), V::fma(V::load(b + i), xmu, V::load(c + i))));
  }
  for (; i < n; ++i) dx[i] = a[i] * dy[i] + b[i] * ((x[i] - mh[i]) - ml[i]) + c[i];
}

void col_add_dot_v(const float* x, const float* dy, std::size_t n, const float* mh, float* acc_dy, float* acc_dyx,
                   float* acc_x) {
  std::size_t i = 0;
  for (; i + V::W <= n; i += V::W) {
    const V::F d = V::sub(V::load(x + i), V::load(mh + i));
    const V::F g = V::load(dy + i);
    V::store(acc_dy + i, V::add(V::load(acc_dy + i), g));
    V::store(acc_dyx + i, V::fma(g, d, V::load(acc_dyx + i)));
    V::store(acc_x + i, V::add(V::load(acc_x + i), d));
  }
  for (; i < n; ++i) {
    const float d = x[i] - mh[i];
    acc_dy[i] += dy[i];
    acc_dyx[i] += dy[i] * d;
    acc_x[i] += d;
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
                     col_add_v,
                     col_add_dev_v,
                     dot_stats_v,
                     dot_stats_gamma_v,
                     backward_apply_v,
                     backward_apply_gamma_v,
                     backward_apply_cols_v,
                     col_add_dot_v,
                     col_add_affine_grads_v};
}
