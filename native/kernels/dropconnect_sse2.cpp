// dropconnect: SSE2 mask kernel (4 Philox blocks per pair of vectors).
#include "kernels/dropconnect.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>

namespace gw {
namespace {

struct Vec {
  using U = __m128i;
  static constexpr std::size_t kLanes = 4;
  static void store(std::uint32_t* dst, U v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), v); }
  static U load(const std::uint32_t* src) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(src)); }
  static U set1(std::uint32_t v) { return _mm_set1_epi32(static_cast<int>(v)); }
  static U iota_even() { return _mm_setr_epi32(0, 0, 2, 0); }
  static U add(U a, U b) { return _mm_add_epi32(a, b); }
  static U xor3(U a, U b, U c) { return _mm_xor_si128(_mm_xor_si128(a, b), c); }
  static U mul_even(U a, U m) { return _mm_mul_epu32(a, m); }
  static U shr32(U a) { return _mm_srli_epi64(a, 32); }
  static U interleave(U a, U b) {
    return _mm_or_si128(_mm_and_si128(a, _mm_set_epi32(0, -1, 0, -1)), _mm_slli_epi64(b, 32));
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

#include "kernels/dropconnect_simd.h"

namespace gw {
const DropConnectKernels* dropconnect_kernels_sse2() {
  static const DropConnectKernels table{"sse2", dropconnect_mask_range_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropConnectKernels* dropconnect_kernels_sse2() { return nullptr; }
}  // namespace gw
#endif
