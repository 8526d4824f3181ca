// norms: plain scalar reference kernels (one element at a time, double accumulators).
#include "kernels/norms.h"

#include <cstddef>

namespace gw {
namespace {
#include "kernels/norms_tail_inl.h"

double sum_scalar(const float* x, std::size_t n) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += x[i];
  return s;
}

void sum_dev_scalar(const float* x, std::size_t n, float m0, double* s1, double* s2) {
  double a = 0.0, b = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const float d = x[i] - m0;
    a += d;
    b += static_cast<double>(d) * d;
  }
  *s1 = a;
  *s2 = b;
}

void normalize_scalar(const float* x, std::size_t n, float mh, float ml, float scale, float shift, float* y) {
  for (std::size_t i = 0; i < n; ++i) y[i] = ((x[i] - mh) - ml) * scale + shift;
}

void normalize_affine_scalar(const float* x, std::size_t n, float mh, float ml, float invstd, const float* gamma,
                             const float* beta, float* y) {
  for (std::size_t i = 0; i < n; ++i) y[i] = (((x[i] - mh) - ml) * invstd) * gamma[i] + beta[i];
}

void normalize_cols_scalar(const float* x, std::size_t n, const float* mh, const float* scale, const float* shift,
                           float* y) {
  for (std::size_t i = 0; i < n; ++i) y[i] = (x[i] - mh[i]) * scale[i] + shift[i];
}

void col_sum_scalar(const float* x, std::size_t stride, std::size_t rows, std::size_t n, double* sum) {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < n; ++j) sum[j] += x[r * stride + j];
}

void col_sum_dev_scalar(const float* x, std::size_t stride, std::size_t rows, std::size_t n, const float* m0, double* s1,
                        double* s2) {
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < n; ++j) {
      const float d = x[r * stride + j] - m0[j];
      s1[j] += d;
      s2[j] += static_cast<double>(d) * d;
    }
  }
}

void dot_stats_scalar(const float* x, const float* dy, std::size_t n, float mh, double* sdy, double* sdyx, double* sx) {
  *sdy = *sdyx = *sx = 0.0;
  dot_stats_tail(x, 0, n, mh, [&](std::size_t i) { return dy[i]; }, sdy, sdyx, sx);
}

void dot_stats_gamma_scalar(const float* x, const float* dy, const float* gamma, std::size_t n, float mh, double* sg,
                            double* sgx, double* sx) {
  *sg = *sgx = *sx = 0.0;
  dot_stats_tail(x, 0, n, mh, [&](std::size_t i) { return dy[i] * gamma[i]; }, sg, sgx, sx);
}

void backward_apply_scalar(const float* x, const float* dy, std::size_t n, float mh, float ml, float a, float b, float c,
                           float* dx) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = a * dy[i] + b * ((x[i] - mh) - ml) + c;
}

void backward_apply_gamma_scalar(const float* x, const float* dy, const float* gamma, std::size_t n, float mh, float ml,
                                 float a, float b, float c, float* dx) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = a * gamma[i] * dy[i] + b * ((x[i] - mh) - ml) + c;
}

void backward_apply_cols_scalar(const float* x, const float* dy, std::size_t n, const float* mh, const float* a,
                                const float* b, const float* c, float* dx) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = a[i] * dy[i] + b[i] * (x[i] - mh[i]) + c[i];
}

void col_sum_dot_scalar(const float* x, const float* dy, std::size_t stride, std::size_t rows, std::size_t n,
                        const float* mh, double* sdy, double* sdyx, double* sx) {
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < n; ++j) {
      const float d = x[r * stride + j] - mh[j];
      const float g = dy[r * stride + j];
      sdy[j] += g;
      sdyx[j] += static_cast<double>(g) * d;
      sx[j] += d;
    }
  }
}

void col_add_affine_grads_scalar(const float* x, const float* dy, std::size_t n, float mh, float ml, float invstd,
                                 float* acc_dg, float* acc_db) {
  for (std::size_t i = 0; i < n; ++i) {
    acc_dg[i] += dy[i] * (((x[i] - mh) - ml) * invstd);
    acc_db[i] += dy[i];
  }
}

}  // namespace

const NormKernels& norm_kernels_scalar() {
  static const NormKernels table{"scalar",
                                 sum_scalar,
                                 sum_dev_scalar,
                                 normalize_scalar,
                                 normalize_affine_scalar,
                                 normalize_cols_scalar,
                                 col_sum_scalar,
                                 col_sum_dev_scalar,
                                 dot_stats_scalar,
                                 dot_stats_gamma_scalar,
                                 backward_apply_scalar,
                                 backward_apply_gamma_scalar,
                                 backward_apply_cols_scalar,
                                 col_sum_dot_scalar,
                                 col_add_affine_grads_scalar};
  return table;
}

}  // namespace gw
