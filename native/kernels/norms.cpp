// Drivers for norms: split work across threads, call the active ISA's kernels.
//
// Determinism: every reduction is either done by one chunk alone (a row, a
// group, a column chunk that walks all rows in order) or combined serially in
// index order afterwards, so results do not depend on the thread count.
#include "kernels/norms.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/isa.h"
#include "core/threads.h"

namespace gw {

const NormKernels& norm_kernels() { return GW_PICK(norm_kernels); }

namespace {

constexpr std::size_t kColChunk = 256;     // columns per task in column reductions
constexpr std::size_t kRowBlock = 32;      // rows summed in float before flushing to double
constexpr std::size_t kElemsPerTask = 16384;

std::size_t rows_per_task(std::size_t row_len) { return std::max<std::size_t>(1, kElemsPerTask / std::max<std::size_t>(1, row_len)); }

const float* or_constant(const float* p, std::size_t n, float value, std::vector<float>& storage) {
  if (p) return p;
  storage.assign(n, value);
  return storage.data();
}

// Splits a double into float hi + lo with hi + lo ~= v to ~2^-48 relative.
void split(double v, float* hi, float* lo) {
  *hi = static_cast<float>(v);
  *lo = static_cast<float>(v - static_cast<double>(*hi));
}

// Calls fn(r0, r1) over [0, rows) in blocks of kRowBlock rows; the caller flushes float accumulators after each block.
template <class Fn>
void for_row_blocks(std::size_t rows, Fn&& fn) {
  for (std::size_t r0 = 0; r0 < rows; r0 += kRowBlock) fn(r0, std::min(rows, r0 + kRowBlock));
}

// Per-channel statistics of x (N, C, L) over N*L: mean (as a float pair) and biased variance.
void channel_stats(const NormKernels& k, const float* x, std::size_t N, std::size_t C, std::size_t L,
                   std::vector<double>* mean, std::vector<double>* var) {
  const std::size_t W = C * L;
  const double n = static_cast<double>(N * L);
  // Pass 1: column sums, then the rough per-channel mean m0.
  std::vector<double> colsum(W, 0.0);
  parallel_chunks(W, kColChunk, [&](std::size_t b, std::size_t e) { k.col_sum(x + b, W, N, e - b, colsum.data() + b); });
  std::vector<float> m0col(W);
  std::vector<float> m0(C);
  for (std::size_t c = 0; c < C; ++c) {
    double s = 0.0;
    for (std::size_t l = 0; l < L; ++l) s += colsum[c * L + l];
    m0[c] = static_cast<float>(s / n);
    std::fill(m0col.begin() + c * L, m0col.begin() + (c + 1) * L, m0[c]);
  }
  // Pass 2: sums of d = x - m0 and d^2.
  std::vector<double> s1(W, 0.0), s2(W, 0.0);
  parallel_chunks(W, kColChunk, [&](std::size_t b, std::size_t e) {
    k.col_sum_dev(x + b, W, N, e - b, m0col.data() + b, s1.data() + b, s2.data() + b);
  });
  mean->assign(C, 0.0);
  var->assign(C, 0.0);
  for (std::size_t c = 0; c < C; ++c) {
    double d1 = 0.0, d2 = 0.0;
    for (std::size_t l = 0; l < L; ++l) {
      d1 += s1[c * L + l];
      d2 += s2[c * L + l];
    }
    const double shift = d1 / n;
    (*mean)[c] = m0[c] + shift;
    (*var)[c] = std::max(0.0, d2 / n - shift * shift);
  }
}

// Statistics of one contiguous block: mean and biased variance (corrected two-pass).
void block_stats(const NormKernels& k, const float* x, std::size_t n, double* mean, double* var) {
  const float m0 = static_cast<float>(k.sum(x, n) / static_cast<double>(n));
  double s1 = 0.0, s2 = 0.0;
  k.sum_dev(x, n, m0, &s1, &s2);
  const double shift = s1 / static_cast<double>(n);
  *mean = m0 + shift;
  *var = std::max(0.0, s2 / static_cast<double>(n) - shift * shift);
}

// Expands per-channel values to the W = C*L columns of one row.
std::vector<float> expand(const std::vector<float>& per_channel, std::size_t L) {
  std::vector<float> out(per_channel.size() * L);
  for (std::size_t c = 0; c < per_channel.size(); ++c)
    std::fill(out.begin() + c * L, out.begin() + (c + 1) * L, per_channel[c]);
  return out;
}

constexpr std::size_t kApplyTile = 512;  // columns per tile: the per-column vectors of a tile stay in L1

// y = (x - mh) * scale + shift per column, over rows in tasks and columns in tiles.
void apply_cols(const NormKernels& k, const float* x, float* y, std::size_t N, std::size_t W, const std::vector<float>& mh,
                const std::vector<float>& scale, const std::vector<float>& shift) {
  parallel_chunks(N, rows_per_task(W), [&](std::size_t b, std::size_t e) {
    for (std::size_t j = 0; j < W; j += kApplyTile) {
      const std::size_t n = std::min(kApplyTile, W - j);
      for (std::size_t r = b; r < e; ++r)
        k.normalize_cols(x + r * W + j, n, mh.data() + j, scale.data() + j, shift.data() + j, y + r * W + j);
    }
  });
}

// dx = a*dy + b*(x - mh) + c per column, tiled like apply_cols.
void apply_backward_cols(const NormKernels& k, const float* x, const float* dy, float* dx, std::size_t N, std::size_t W,
                         const std::vector<float>& mh, const std::vector<float>& a, const std::vector<float>& b,
                         const std::vector<float>& c) {
  parallel_chunks(N, rows_per_task(W), [&](std::size_t rb, std::size_t re) {
    for (std::size_t j = 0; j < W; j += kApplyTile) {
      const std::size_t n = std::min(kApplyTile, W - j);
      for (std::size_t r = rb; r < re; ++r)
        k.backward_apply_cols(x + r * W + j, dy + r * W + j, n, mh.data() + j, a.data() + j, b.data() + j, c.data() + j,
                              dx + r * W + j);
    }
  });
}

// Column sums for batch-norm backward: per channel sum(dy), sum(dy*(x-mh)), sum(x-mh).
void channel_dot_stats(const NormKernels& k, const float* x, const float* dy, const std::vector<float>& mhcol,
                       std::size_t N, std::size_t C, std::size_t L, std::vector<double>* sdy, std::vector<double>* sdyx,
                       std::vector<double>* sx) {
  const std::size_t W = C * L;
  std::vector<double> cdy(W, 0.0), cdyx(W, 0.0), cx(W, 0.0);
  parallel_chunks(W, kColChunk, [&](std::size_t b, std::size_t e) {
    k.col_sum_dot(x + b, dy + b, W, N, e - b, mhcol.data() + b, cdy.data() + b, cdyx.data() + b, cx.data() + b);
  });
  sdy->assign(C, 0.0);
  sdyx->assign(C, 0.0);
  sx->assign(C, 0.0);
  for (std::size_t c = 0; c < C; ++c) {
    for (std::size_t l = 0; l < L; ++l) {
      (*sdy)[c] += cdy[c * L + l];
      (*sdyx)[c] += cdyx[c * L + l];
      (*sx)[c] += cx[c * L + l];
    }
  }
}

}  // namespace

void batchnorm_forward_train(const float* x, float* y, const float* gamma, const float* beta, float* running_mean,
                             float* running_var, float* save_mean, float* save_invstd, std::size_t N, std::size_t C,
                             std::size_t L, double momentum, double eps) {
  const NormKernels& k = norm_kernels();
  const std::size_t W = C * L;
  if (W == 0) return;
  const double n = static_cast<double>(N * L);
  std::vector<double> mean, var;
  channel_stats(k, x, N, C, L, &mean, &var);
  std::vector<float> mh(C), ml(C), scale(C), shift(C);
  for (std::size_t c = 0; c < C; ++c) {
    const double invstd = 1.0 / std::sqrt(var[c] + eps);
    split(mean[c], &mh[c], &ml[c]);
    scale[c] = static_cast<float>(invstd * (gamma ? gamma[c] : 1.0f));
    shift[c] = static_cast<float>((beta ? beta[c] : 0.0f) - static_cast<double>(ml[c]) * scale[c]);
    if (save_mean) save_mean[c] = static_cast<float>(mean[c]);
    if (save_invstd) save_invstd[c] = static_cast<float>(invstd);
    if (running_mean) running_mean[c] = static_cast<float>((1.0 - momentum) * running_mean[c] + momentum * mean[c]);
    if (running_var) {
      const double unbiased = n > 1 ? var[c] * n / (n - 1) : var[c];
      running_var[c] = static_cast<float>((1.0 - momentum) * running_var[c] + momentum * unbiased);
    }
  }
  apply_cols(k, x, y, N, W, expand(mh, L), expand(scale, L), expand(shift, L));
}

void batchnorm_forward_eval(const float* x, float* y, const float* gamma, const float* beta, const float* running_mean,
                            const float* running_var, std::size_t N, std::size_t C, std::size_t L, double eps) {
  const NormKernels& k = norm_kernels();
  const std::size_t W = C * L;
  if (W == 0) return;
  std::vector<float> mh(C), scale(C), shift(C);
  for (std::size_t c = 0; c < C; ++c) {
    mh[c] = running_mean[c];
    scale[c] = static_cast<float>((gamma ? gamma[c] : 1.0f) / std::sqrt(static_cast<double>(running_var[c]) + eps));
    shift[c] = beta ? beta[c] : 0.0f;
  }
  apply_cols(k, x, y, N, W, expand(mh, L), expand(scale, L), expand(shift, L));
}

void batchnorm_backward(const float* x, const float* dy, float* dx, const float* gamma, float* dgamma, float* dbeta,
                        const float* save_mean, const float* save_invstd, std::size_t N, std::size_t C, std::size_t L) {
  const NormKernels& k = norm_kernels();
  const std::size_t W = C * L;
  if (W == 0) return;
  const double n = static_cast<double>(N * L);
  std::vector<float> mh(save_mean, save_mean + C);
  std::vector<double> sdy, sdyx, sx;
  channel_dot_stats(k, x, dy, expand(mh, L), N, C, L, &sdy, &sdyx, &sx);
  std::vector<float> a(C), b(C), c0(C);
  for (std::size_t c = 0; c < C; ++c) {
    // The saved mean is rounded to float; sum(x - mh)/n recovers the rest of it.
    const double delta = n > 0 ? sx[c] / n : 0.0;
    const double sdyxmu = sdyx[c] - delta * sdy[c];
    const double invstd = save_invstd[c];
    const double g = gamma ? gamma[c] : 1.0;
    if (dbeta) dbeta[c] = static_cast<float>(sdy[c]);
    if (dgamma) dgamma[c] = static_cast<float>(sdyxmu * invstd);
    a[c] = static_cast<float>(g * invstd);
    b[c] = static_cast<float>(n > 0 ? -g * invstd * invstd * invstd * sdyxmu / n : 0.0);
    // b*(x - mean) = b*(x - mh) - b*delta: the small second term goes into c.
    c0[c] = static_cast<float>(n > 0 ? -g * invstd * sdy[c] / n - static_cast<double>(b[c]) * delta : 0.0);
  }
  if (!dx) return;
  apply_backward_cols(k, x, dy, dx, N, W, expand(mh, L), expand(a, L), expand(b, L), expand(c0, L));
}

void batchnorm_backward_eval(const float* x, const float* dy, float* dx, const float* gamma, float* dgamma,
                             float* dbeta, const float* running_mean, const float* running_var, std::size_t N,
                             std::size_t C, std::size_t L, double eps) {
  const NormKernels& k = norm_kernels();
  const std::size_t W = C * L;
  if (W == 0) return;
  std::vector<float> mh(running_mean, running_mean + C);
  std::vector<double> sdy, sdyx, sx;
  if (dgamma || dbeta) channel_dot_stats(k, x, dy, expand(mh, L), N, C, L, &sdy, &sdyx, &sx);
  std::vector<float> zero(C, 0.0f), a(C);
  for (std::size_t c = 0; c < C; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps);
    a[c] = static_cast<float>((gamma ? gamma[c] : 1.0) * invstd);
    if (dbeta) dbeta[c] = static_cast<float>(sdy[c]);
    if (dgamma) dgamma[c] = static_cast<float>(sdyx[c] * invstd);
  }
  if (!dx) return;
  const std::vector<float> zc = expand(zero, L);
  apply_backward_cols(k, x, dy, dx, N, W, expand(mh, L), expand(a, L), zc, zc);
}

void layernorm_forward(const float* x, float* y, const float* gamma, const float* beta, float* save_mean,
                       float* save_invstd, std::size_t rows, std::size_t cols, double eps) {
  const NormKernels& k = norm_kernels();
  if (cols == 0) return;
  std::vector<float> ones, zeros;
  const float* g = or_constant(gamma, cols, 1.0f, ones);
  const float* bt = or_constant(beta, cols, 0.0f, zeros);
  parallel_chunks(rows, rows_per_task(cols), [&](std::size_t b, std::size_t e) {
    for (std::size_t r = b; r < e; ++r) {
      const float* xr = x + r * cols;
      double mean, var;
      block_stats(k, xr, cols, &mean, &var);
      const double invstd = 1.0 / std::sqrt(var + eps);
      float mh, ml;
      split(mean, &mh, &ml);
      k.normalize_affine(xr, cols, mh, ml, static_cast<float>(invstd), g, bt, y + r * cols);
      if (save_mean) save_mean[r] = static_cast<float>(mean);
      if (save_invstd) save_invstd[r] = static_cast<float>(invstd);
    }
  });
}

void layernorm_backward(const float* x, const float* dy, float* dx, const float* gamma, float* dgamma, float* dbeta,
                        const float* save_mean, const float* save_invstd, std::size_t rows, std::size_t cols) {
  const NormKernels& k = norm_kernels();
  if (cols == 0) return;
  std::vector<float> ones;
  const float* g = or_constant(gamma, cols, 1.0f, ones);
  const double n = static_cast<double>(cols);
  std::vector<float> ml(rows);
  parallel_chunks(rows, rows_per_task(cols), [&](std::size_t b, std::size_t e) {
    for (std::size_t r = b; r < e; ++r) {
      const float* xr = x + r * cols;
      const float mh = save_mean[r];
      const double invstd = save_invstd[r];
      double sg, sgx, sx;
      k.dot_stats_gamma(xr, dy + r * cols, g, cols, mh, &sg, &sgx, &sx);
      const double delta = sx / n;
      const double sgxmu = sgx - delta * sg;
      ml[r] = static_cast<float>(delta);
      if (dx) {
        k.backward_apply_gamma(xr, dy + r * cols, g, cols, mh, ml[r], static_cast<float>(invstd),
                               static_cast<float>(-invstd * invstd * invstd * sgxmu / n),
                               static_cast<float>(-invstd * sg / n), dx + r * cols);
      }
    }
  });
  if (!dgamma && !dbeta) return;
  parallel_chunks(cols, kColChunk, [&](std::size_t b, std::size_t e) {
    float adg[kColChunk], adb[kColChunk];
    double sdg[kColChunk] = {}, sdb[kColChunk] = {};
    for_row_blocks(rows, [&](std::size_t r0, std::size_t r1) {
      std::fill(adg, adg + (e - b), 0.0f);
      std::fill(adb, adb + (e - b), 0.0f);
      for (std::size_t r = r0; r < r1; ++r)
        k.col_add_affine_grads(x + r * cols + b, dy + r * cols + b, e - b, save_mean[r], ml[r], save_invstd[r], adg, adb);
      for (std::size_t j = 0; j < e - b; ++j) {
        sdg[j] += adg[j];
        sdb[j] += adb[j];
      }
    });
    for (std::size_t j = b; j < e; ++j) {
      if (dgamma) dgamma[j] = static_cast<float>(sdg[j - b]);
      if (dbeta) dbeta[j] = static_cast<float>(sdb[j - b]);
    }
  });
}

void groupnorm_forward(const float* x, float* y, const float* gamma, const float* beta, float* save_mean,
                       float* save_invstd, std::size_t N, std::size_t C, std::size_t L, std::size_t G, double eps) {
  const NormKernels& k = norm_kernels();
  const std::size_t per_group = C / G;  // channels per group
  const std::size_t m = per_group * L;  // elements per group
  if (m == 0) return;
  parallel_chunks(N * G, rows_per_task(m), [&](std::size_t b, std::size_t e) {
    for (std::size_t u = b; u < e; ++u) {
      const std::size_t s = u / G, grp = u % G;
      const std::size_t c_begin = grp * per_group;
      const std::size_t offset = (s * C + c_begin) * L;
      double mean, var;
      block_stats(k, x + offset, m, &mean, &var);
      const double invstd = 1.0 / std::sqrt(var + eps);
      float mh, ml;
      split(mean, &mh, &ml);
      for (std::size_t c = c_begin; c < c_begin + per_group; ++c) {
        const float scale = static_cast<float>(invstd * (gamma ? gamma[c] : 1.0f));
        k.normalize(x + (s * C + c) * L, L, mh, ml, scale, beta ? beta[c] : 0.0f, y + (s * C + c) * L);
      }
      if (save_mean) save_mean[u] = static_cast<float>(mean);
      if (save_invstd) save_invstd[u] = static_cast<float>(invstd);
    }
  });
}

void groupnorm_backward(const float* x, const float* dy, float* dx, const float* gamma, float* dgamma, float* dbeta,
                        const float* save_mean, const float* save_invstd, std::size_t N, std::size_t C, std::size_t L,
                        std::size_t G) {
  const NormKernels& k = norm_kernels();
  const std::size_t per_group = C / G;
  const std::size_t m = per_group * L;
  if (m == 0) return;
  const double mn = static_cast<double>(m);
  // Per (sample, channel): sum(dy) and sum(dy * xhat), reduced over samples in order afterwards.
  std::vector<double> ch_dy(N * C), ch_dyxhat(N * C);
  parallel_chunks(N * G, rows_per_task(m), [&](std::size_t b, std::size_t e) {
    std::vector<double> sdy(per_group), sdyx(per_group);
    for (std::size_t u = b; u < e; ++u) {
      const std::size_t s = u / G, grp = u % G;
      const std::size_t c_begin = grp * per_group;
      const float mh = save_mean[u];
      const double invstd = save_invstd[u];
      double sx = 0.0;
      for (std::size_t i = 0; i < per_group; ++i) {
        const std::size_t off = (s * C + c_begin + i) * L;
        double one_sx;
        k.dot_stats(x + off, dy + off, L, mh, &sdy[i], &sdyx[i], &one_sx);
        sx += one_sx;
      }
      const double delta = sx / mn;
      double sg = 0.0, sgxmu = 0.0;
      for (std::size_t i = 0; i < per_group; ++i) {
        const double g = gamma ? gamma[c_begin + i] : 1.0;
        const double sdyxmu = sdyx[i] - delta * sdy[i];
        sg += g * sdy[i];
        sgxmu += g * sdyxmu;
        ch_dy[s * C + c_begin + i] = sdy[i];
        ch_dyxhat[s * C + c_begin + i] = sdyxmu * invstd;
      }
      if (!dx) continue;
      const float ml = static_cast<float>(delta);
      const float bcoef = static_cast<float>(-invstd * invstd * invstd * sgxmu / mn);
      const float ccoef = static_cast<float>(-invstd * sg / mn);
      for (std::size_t i = 0; i < per_group; ++i) {
        const std::size_t off = (s * C + c_begin + i) * L;
        const double g = gamma ? gamma[c_begin + i] : 1.0;
        k.backward_apply(x + off, dy + off, L, mh, ml, static_cast<float>(g * invstd), bcoef, ccoef, dx + off);
      }
    }
  });
  for (std::size_t c = 0; c < C; ++c) {
    double dg = 0.0, db = 0.0;
    for (std::size_t s = 0; s < N; ++s) {
      dg += ch_dyxhat[s * C + c];
      db += ch_dy[s * C + c];
    }
    if (dgamma) dgamma[c] = static_cast<float>(dg);
    if (dbeta) dbeta[c] = static_cast<float>(db);
  }
}

}  // namespace gw
