// optim: avx2 + fma kernels (8 floats per vector).
#include "kernels/optim.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "kernels/optim_simd.h"

namespace gw {
namespace {

#define GW_VEC_AVX2 1
#include "kernels/simd.h"
#undef GW_VEC_AVX2
using Avx2 = V;  // the one SIMD layer (kernels/simd.h)

double sum_squares_avx2(const float* x, std::size_t n) {
  __m256d acc0 = _mm256_setzero_pd();
  __m256d acc1 = _mm256_setzero_pd();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
    const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
    acc0 = _mm256_fmadd_pd(lo, lo, acc0);
    acc1 = _mm256_fmadd_pd(hi, hi, acc1);
  }
  double lanes[8];
  _mm256_storeu_pd(lanes, acc0);
  _mm256_storeu_pd(lanes + 4, acc1);
  double s = 0.0;
  for (double l : lanes) s += l;
  for (; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

}  // namespace

const OptimKernels* optim_kernels_avx2() {
  static const OptimKernels table = make_optim_table<Avx2>("avx2", sum_squares_avx2);
  return &table;
}

}  // namespace gw
#else
namespace gw {
const OptimKernels* optim_kernels_avx2() { return nullptr; }
}  // namespace gw
#endif
