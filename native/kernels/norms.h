// norms: kernel table (one per ISA) and the driver API used by the binding.
//
// Numerics. Statistics use the corrected two-pass scheme: pass 1 sums x in
// float lanes flushed to double every block (m0 = rough mean), pass 2 sums
// d = x - m0 and d^2 the same way; then mean = m0 + sum(d)/n and
// var = sum(d^2)/n - (sum(d)/n)^2. d is small and (by Sterbenz) exact when the
// data sit close to their mean, so inputs with a large mean keep float32
// accuracy. The mean is carried as an unevaluated float pair (mh + ml) and
// kernels form x - mean as (x - mh) - ml, which keeps that accuracy through
// normalization and the backward pass.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gw {

// Single-threaded kernels of one ISA; the drivers in norms.cpp own the thread loop.
// "xmu" below is always (x - mh) - ml.
struct NormKernels {
  const char* isa;
  // Returns sum(x[0..n)) (float lanes, flushed to double per block).
  double (*sum)(const float* x, std::size_t n);
  // *s1 = sum(x - m0), *s2 = sum((x - m0)^2).
  void (*sum_dev)(const float* x, std::size_t n, float m0, double* s1, double* s2);
  // y = xmu * scale + shift.
  void (*normalize)(const float* x, std::size_t n, float mh, float ml, float scale, float shift, float* y);
  // y[j] = (xmu * invstd) * gamma[j] + beta[j]   (layer norm).
  void (*normalize_affine)(const float* x, std::size_t n, float mh, float ml, float invstd, const float* gamma,
                           const float* beta, float* y);
  // Per-column statistics: y[j] = (x[j] - mh[j]) * scale[j] + shift[j]   (batch norm; the driver folds
  // the low part of the mean into shift: -ml*scale is tiny, so the fold costs no accuracy).
  void (*normalize_cols)(const float* x, std::size_t n, const float* mh, const float* scale, const float* shift,
                         float* y);
  // Column sums over `rows` rows of `stride` floats (columns [0, n) of x):
  // sum[j] += sum_r x[r*stride + j]. Float partial sums over blocks of rows, flushed to double.
  void (*col_sum)(const float* x, std::size_t stride, std::size_t rows, std::size_t n, double* sum);
  // d = x[r*stride + j] - m0[j]: s1[j] += sum_r d; s2[j] += sum_r d*d.
  void (*col_sum_dev)(const float* x, std::size_t stride, std::size_t rows, std::size_t n, const float* m0, double* s1,
                      double* s2);
  // Backward, scalar mean: *sdy = sum(dy), *sdyx = sum(dy * (x - mh)), *sx = sum(x - mh).
  void (*dot_stats)(const float* x, const float* dy, std::size_t n, float mh, double* sdy, double* sdyx, double* sx);
  // As dot_stats with g = dy * gamma[j] in place of dy (layer norm).
  void (*dot_stats_gamma)(const float* x, const float* dy, const float* gamma, std::size_t n, float mh, double* sg,
                          double* sgx, double* sx);
  // dx = a*dy + b*xmu + c.
  void (*backward_apply)(const float* x, const float* dy, std::size_t n, float mh, float ml, float a, float b, float c,
                         float* dx);
  // dx[j] = a*gamma[j]*dy[j] + b*xmu + c   (layer norm).
  void (*backward_apply_gamma)(const float* x, const float* dy, const float* gamma, std::size_t n, float mh, float ml,
                               float a, float b, float c, float* dx);
  // dx[j] = a[j]*dy[j] + b[j]*(x[j] - mh[j]) + c[j]   (batch norm; -b*ml folded into c as above).
  void (*backward_apply_cols)(const float* x, const float* dy, std::size_t n, const float* mh, const float* a,
                              const float* b, const float* c, float* dx);
  // d = x - mh[j] over rows as in col_sum: sdy[j] += sum dy; sdyx[j] += sum dy*d; sx[j] += sum d (batch norm backward).
  void (*col_sum_dot)(const float* x, const float* dy, std::size_t stride, std::size_t rows, std::size_t n,
                      const float* mh, double* sdy, double* sdyx, double* sx);
  // acc_dg[j] += dy[j] * xmu * invstd; acc_db[j] += dy[j]   (layer norm dgamma/dbeta over rows).
  void (*col_add_affine_grads)(const float* x, const float* dy, std::size_t n, float mh, float ml, float invstd,
                               float* acc_dg, float* acc_db);
};

const NormKernels& norm_kernels_scalar();
const NormKernels* norm_kernels_sse2();    // nullptr: no specialisation
const NormKernels* norm_kernels_avx2();
const NormKernels* norm_kernels_avx512();
const NormKernels* norm_kernels_neon();
const NormKernels& norm_kernels();         // the active ISA's table

// Drivers (threads + dispatch). x is (N, C, L) row-major. Optional buffers may be null:
// gamma/beta (= 1/0), running stats (not tracked), save buffers, dgamma/dbeta.
// Per-channel statistics over N*L; requires N*L >= 2 (checked by the binding).
void batchnorm_forward_train(const float* x, float* y, const float* gamma, const float* beta, float* running_mean,
                             float* running_var, float* save_mean, float* save_invstd, std::size_t N, std::size_t C,
                             std::size_t L, double momentum, double eps);
void batchnorm_forward_eval(const float* x, float* y, const float* gamma, const float* beta, const float* running_mean,
                            const float* running_var, std::size_t N, std::size_t C, std::size_t L, double eps);
void batchnorm_backward(const float* x, const float* dy, float* dx, const float* gamma, float* dgamma, float* dbeta,
                        const float* save_mean, const float* save_invstd, std::size_t N, std::size_t C, std::size_t L);
// Backward of the eval-mode forward (frozen statistics): dx = dy*gamma/sqrt(running_var+eps).
void batchnorm_backward_eval(const float* x, const float* dy, float* dx, const float* gamma, float* dgamma,
                             float* dbeta, const float* running_mean, const float* running_var, std::size_t N,
                             std::size_t C, std::size_t L, double eps);
void layernorm_forward(const float* x, float* y, const float* gamma, const float* beta, float* save_mean,
                       float* save_invstd, std::size_t rows, std::size_t cols, double eps);
void layernorm_backward(const float* x, const float* dy, float* dx, const float* gamma, float* dgamma, float* dbeta,
                        const float* save_mean, const float* save_invstd, std::size_t rows, std::size_t cols);
void groupnorm_forward(const float* x, float* y, const float* gamma, const float* beta, float* save_mean,
                       float* save_invstd, std::size_t N, std::size_t C, std::size_t L, std::size_t G, double eps);
void groupnorm_backward(const float* x, const float* dy, float* dx, const float* gamma, float* dgamma, float* dbeta,
                        const float* save_mean, const float* save_invstd, std::size_t N, std::size_t C, std::size_t L,
                        std::size_t G);

}  // namespace gw
