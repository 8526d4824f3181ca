// dist: the arithmetic around the collectives of data-parallel training
// (native/binding/dist_ops.cpp queues the collectives themselves). Scaling a
// gradient, and synchronized batch norm split into local per-channel sums (to
// be summed across ranks) and the elementwise passes that use the global sums.
// Communication-bound and simple, so one portable implementation (the
// compiler vectorises the inner loops) with the chunked thread loop; results
// do not depend on the thread count (per-channel sums in a fixed order).
// x is (N, C, L) row-major, as in norms.h.
#pragma once
#include <cstddef>

namespace gw {

// x[i] *= alpha for i in [0, n).
void scale_f32(float* x, std::size_t n, float alpha);

// sums[c] = sum over n, l of x (double).
void channel_sums(const float* x, std::size_t N, std::size_t C, std::size_t L, double* sums);
// sums[c] = sum over n, l of (x - mean[c])^2.
void channel_sq_dev(const float* x, const double* mean, std::size_t N, std::size_t C, std::size_t L, double* sums);
// y = (x - mean) * invstd * gamma + beta (gamma/beta may be null: 1 and 0).
void channel_normalize(const float* x, float* y, const float* mean, const float* invstd, const float* gamma,
                       const float* beta, std::size_t N, std::size_t C, std::size_t L);
// sum_dy[c] = sum dy, sum_dy_xhat[c] = sum dy * (x - mean) * invstd.
void channel_backward_sums(const float* x, const float* dy, const float* mean, const float* invstd, std::size_t N,
                           std::size_t C, std::size_t L, double* sum_dy, double* sum_dy_xhat);
// dx = gamma * invstd * (dy - sum_dy / count - xhat * sum_dy_xhat / count), with the global sums and count.
void channel_backward_dx(const float* x, const float* dy, float* dx, const float* mean, const float* invstd,
                         const float* gamma, const double* sum_dy, const double* sum_dy_xhat, double count,
                         std::size_t N, std::size_t C, std::size_t L);

}  // namespace gw
