// optim: avx512 kernels (16 floats per vector).
#include "kernels/optim.h"

#if defined(__AVX512F__) && defined(__AVX512DQ__)
// GCC 12 reports the deliberately undefined pass-through operand inside the
// AVX-512 intrinsics as maybe-uninitialized (a false positive, GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "kernels/optim_simd.h"

namespace gw {
namespace {

#define GW_VEC_AVX512 1
#include "kernels/simd.h"
#undef GW_VEC_AVX512
using Avx512 = V;  // the one SIMD layer (kernels/simd.h)

double sum_squares_avx512(const float* x, std::size_t n) {
  __m512d acc0 = _mm512_setzero_pd();
  __m512d acc1 = _mm512_setzero_pd();
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    const __m512d hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1));
    acc0 = _mm512_fmadd_pd(lo, lo, acc0);
    acc1 = _mm512_fmadd_pd(hi, hi, acc1);
  }
  double lanes[16];
  _mm512_storeu_pd(lanes, acc0);
  _mm512_storeu_pd(lanes + 8, acc1);
  double s = 0.0;
  for (double l : lanes) s += l;
  for (; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

}  // namespace

const OptimKernels* optim_kernels_avx512() {
  static const OptimKernels table = make_optim_table<Avx512>("avx512", sum_squares_avx512);
  return &table;
}

}  // namespace gw
#else
namespace gw {
const OptimKernels* optim_kernels_avx512() { return nullptr; }
}  // namespace gw
#endif
