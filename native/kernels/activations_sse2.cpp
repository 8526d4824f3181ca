// activations: SSE2 kernels (4 floats; no FMA, no blend: and/andnot/or).
#include "kernels/activations.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>

namespace gw {
namespace {

struct Vec {
  using F = __m128;
  using M = __m128;
  static constexpr std::size_t kWidth = 4;
  static F load(const float* p) { return _mm_loadu_ps(p); }
  static void store(float* p, F v) { _mm_storeu_ps(p, v); }
  static F set1(float v) { return _mm_set1_ps(v); }
  static F add(F a, F b) { return _mm_add_ps(a, b); }
  static F sub(F a, F b) { return _mm_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm_mul_ps(a, b); }
  static F div(F a, F b) { return _mm_div_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
  static F min(F a, F b) { return _mm_min_ps(a, b); }
  static F max(F a, F b) { return _mm_max_ps(a, b); }
  static F abs(F a) { return _mm_andnot_ps(_mm_set1_ps(-0.0f), a); }
  static M gt(F a, F b) { return _mm_cmpgt_ps(a, b); }
  static M ge(F a, F b) { return _mm_cmpge_ps(a, b); }
  static M lt(F a, F b) { return _mm_cmplt_ps(a, b); }
  static M eq(F a, F b) { return _mm_cmpeq_ps(a, b); }
  static F select(M m, F a, F b) { return _mm_or_ps(_mm_and_ps(m, a), _mm_andnot_ps(m, b)); }
  static F fnmadd(F a, F b, F c) { return _mm_sub_ps(c, _mm_mul_ps(a, b)); }
  static F recip(F a) { return _mm_div_ps(_mm_set1_ps(1.0f), a); }  // rcpps is only 12 bits
  static bool any(M m) { return _mm_movemask_ps(m) != 0; }
  // Round to nearest by adding and removing 1.5*2^23 (SSE2 has no roundps); |x| < 2^22.
  static F round(F x) {
    const F magic = _mm_set1_ps(12582912.0f);
    return _mm_sub_ps(_mm_add_ps(x, magic), magic);
  }
  static F pow2n(F n) {
    return _mm_castsi128_ps(_mm_slli_epi32(_mm_add_epi32(_mm_cvtps_epi32(n), _mm_set1_epi32(127)), 23));
  }
  static float reduce_add(F v) {
    alignas(16) float t[4];
    _mm_store_ps(t, v);
    return (t[0] + t[1]) + (t[2] + t[3]);
  }
  static float reduce_max(F v) {
    alignas(16) float t[4];
    _mm_store_ps(t, v);
    const float a = t[0] > t[1] ? t[0] : t[1];
    const float b = t[2] > t[3] ? t[2] : t[3];
    return a > b ? a : b;
  }
};

}  // namespace
}  // namespace gw

#include "kernels/activations_simd.h"

namespace gw {
const ActivationKernels* activation_kernels_sse2() {
  static const ActivationKernels table = make_activation_table("sse2");
  return &table;
}
}  // namespace gw

#else
namespace gw {
const ActivationKernels* activation_kernels_sse2() { return nullptr; }
}  // namespace gw
#endif
