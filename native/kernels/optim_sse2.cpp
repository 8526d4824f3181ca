// optim: sse2 kernels (the x86-64 baseline; 4 floats per vector, no FMA).
#include "kernels/optim.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>

#include "kernels/optim_simd.h"

namespace gw {
namespace {

struct Sse2 {
  using T = __m128;
  static constexpr std::size_t kWidth = 4;
  static T load(const float* p) { return _mm_loadu_ps(p); }
  static void store(float* p, T v) { _mm_storeu_ps(p, v); }
  static T set1(float v) { return _mm_set1_ps(v); }
  static T zero() { return _mm_setzero_ps(); }
  static T add(T a, T b) { return _mm_add_ps(a, b); }
  static T sub(T a, T b) { return _mm_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm_mul_ps(a, b); }
  static T div(T a, T b) { return _mm_div_ps(a, b); }
  static T sqrt(T a) { return _mm_sqrt_ps(a); }
  static T max(T a, T b) { return _mm_max_ps(a, b); }
  static T fmadd(T a, T b, T c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
  static T abs(T a) { return _mm_andnot_ps(_mm_set1_ps(-0.0f), a); }
  static T sign(T a) {
    const T one = _mm_set1_ps(1.0f);
    return _mm_sub_ps(_mm_and_ps(_mm_cmpgt_ps(a, _mm_setzero_ps()), one),
                      _mm_and_ps(_mm_cmplt_ps(a, _mm_setzero_ps()), one));
  }
  // maxps/minps return their second operand when either is NaN: NaN stays.
  static T clamp(T v, T lo, T hi) { return _mm_min_ps(hi, _mm_max_ps(lo, v)); }
  static bool any_nan(T a) { return _mm_movemask_ps(_mm_cmpunord_ps(a, a)) != 0; }
};

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
