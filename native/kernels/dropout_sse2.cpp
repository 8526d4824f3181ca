// dropout: SSE2 kernel (4 Philox blocks per vector).
#include "kernels/dropout.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>

namespace gw {
namespace {

struct Vec {
  using U = __m128i;
  static constexpr std::size_t kLanes = 4;
  static U set1(std::uint32_t v) { return _mm_set1_epi32(static_cast<int>(v)); }
  static U iota() { return _mm_setr_epi32(0, 1, 2, 3); }
  static U add(U a, U b) { return _mm_add_epi32(a, b); }
  static U xor_(U a, U b) { return _mm_xor_si128(a, b); }
  // Even lanes via one 32x32->64 multiply, odd lanes via a second on the shifted input.
  static void mulhilo(U a, U m, U* hi, U* lo) {
    const U even = _mm_mul_epu32(a, m);
    const U odd = _mm_mul_epu32(_mm_srli_epi64(a, 32), m);
    const U low_half = _mm_set_epi32(0, -1, 0, -1);
    *lo = _mm_or_si128(_mm_and_si128(even, low_half), _mm_slli_epi64(odd, 32));
    *hi = _mm_or_si128(_mm_srli_epi64(even, 32), _mm_andnot_si128(low_half, odd));
  }
  static void apply(const float* x, float* y, U word, std::uint32_t threshold, float scale) {
    // Unsigned word < threshold as a signed compare after flipping the sign bits.
    const U flip = _mm_set1_epi32(static_cast<int>(0x80000000u));
    const U drop = _mm_cmpgt_epi32(_mm_xor_si128(set1(threshold), flip), _mm_xor_si128(word, flip));
    const __m128 kept = _mm_mul_ps(_mm_loadu_ps(x), _mm_set1_ps(scale));
    _mm_storeu_ps(y, _mm_andnot_ps(_mm_castsi128_ps(drop), kept));
  }
};

}  // namespace
}  // namespace gw

#include "kernels/dropout_simd.h"

namespace gw {
const DropoutKernels* dropout_kernels_sse2() {
  static const DropoutKernels table{"sse2", dropout_apply_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropoutKernels* dropout_kernels_sse2() { return nullptr; }
}  // namespace gw
#endif
