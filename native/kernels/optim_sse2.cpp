// optim: sse2 kernels (the x86-64 baseline; 4 floats per vector, no FMA).
#include "kernels/optim.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>

#include "kernels/optim_simd.h"

namespace gw {
namespace {

#define GW_VEC_SSE2 1
#include "kernels/simd.h"
#undef GW_VEC_SSE2
using Sse2 = V;  // the one SIMD layer (kernels/simd.h)

double sum_squares_sse2(const float* x, std::size_t n) {
  __m128d acc0 = _mm_setzero_pd();
  __m128d acc1 = _mm_setzero_pd();
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m128 v = _mm_loadu_ps(x + i);
    const __m128d lo = _mm_cvtps_pd(v);
    const __m128d hi = _mm_cvtps_pd(_mm_movehl_ps(v, v));
    acc0 = _mm_add_pd(acc0, _mm_mul_pd(lo, lo));
    acc1 = _mm_add_pd(acc1, _mm_mul_pd(hi, hi));
  }
  double lanes[4];
  _mm_storeu_pd(lanes, acc0);
  _mm_storeu_pd(lanes + 2, acc1);
  double s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

}  // namespace

const OptimKernels* optim_kernels_sse2() {
  static const OptimKernels table = make_optim_table<Sse2>("sse2", sum_squares_sse2);
  return &table;
}

}  // namespace gw
#else
namespace gw {
const OptimKernels* optim_kernels_sse2() { return nullptr; }
}  // namespace gw
#endif
