// dropout: AVX-512 kernel (16 Philox blocks per vector: one tile at once).
#include "kernels/dropout.h"

#if defined(__AVX512F__)
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own
// _mm512_undefined_* placeholders (GCC bug 105593); not our code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

namespace gw {
namespace {

struct Vec {
  using U = __m512i;
  static constexpr std::size_t kLanes = 16;
  static U set1(std::uint32_t v) { return _mm512_set1_epi32(static_cast<int>(v)); }
  static U iota() { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
  static U add(U a, U b) { return _mm512_add_epi32(a, b); }
  static U xor_(U a, U b) { return _mm512_xor_si512(a, b); }
  static void mulhilo(U a, U m, U* hi, U* lo) {
    const U even = _mm512_mul_epu32(a, m);
    const U odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
    *lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
    *hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
  }
  static void apply(const float* x, float* y, U word, std::uint32_t threshold, float scale) {
    const __mmask16 keep = _mm512_cmpge_epu32_mask(word, set1(threshold));
    _mm512_storeu_ps(y, _mm512_maskz_mul_ps(keep, _mm512_loadu_ps(x), _mm512_set1_ps(scale)));
  }
};

}  // namespace
}  // namespace gw

#include "kernels/dropout_simd.h"

namespace gw {
const DropoutKernels* dropout_kernels_avx512() {
  static const DropoutKernels table{"avx512", dropout_apply_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropoutKernels* dropout_kernels_avx512() { return nullptr; }
}  // namespace gw
#endif
