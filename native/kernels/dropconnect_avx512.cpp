// dropconnect: AVX-512 mask kernel (16 Philox blocks per pair of vectors: one tile at once).
#include "kernels/dropconnect.h"

#if defined(__AVX512F__)
#include "kernels/immintrin_avx512.h"

namespace gw {
namespace {

struct Vec {
  using U = __m512i;
  static constexpr std::size_t kLanes = 16;
  static void store(std::uint32_t* dst, U v) { _mm512_storeu_si512(dst, v); }
  static U load(const std::uint32_t* src) { return _mm512_loadu_si512(src); }
  static U set1(std::uint32_t v) { return _mm512_set1_epi32(static_cast<int>(v)); }
  static U iota_even() { return _mm512_setr_epi32(0, 0, 2, 0, 4, 0, 6, 0, 8, 0, 10, 0, 12, 0, 14, 0); }
  static U add(U a, U b) { return _mm512_add_epi32(a, b); }
  static U xor3(U a, U b, U c) { return _mm512_ternarylogic_epi32(a, b, c, 0x96); }  // one instruction
  static U mul_even(U a, U m) { return _mm512_mul_epu32(a, m); }
  static U shr32(U a) { return _mm512_srli_epi64(a, 32); }
  static U interleave(U a, U b) { return _mm512_mask_blend_epi32(0xAAAA, a, _mm512_slli_epi64(b, 32)); }
  static void apply(const float* x, float* y, U word, std::uint32_t threshold, float scale) {
    const __mmask16 keep = _mm512_cmpge_epu32_mask(word, set1(threshold));
    _mm512_storeu_ps(y, _mm512_maskz_mul_ps(keep, _mm512_loadu_ps(x), _mm512_set1_ps(scale)));
  }
};

}  // namespace
}  // namespace gw

#include "kernels/dropconnect_simd.h"

namespace gw {
const DropConnectKernels* dropconnect_kernels_avx512() {
  static const DropConnectKernels table{"avx512", dropconnect_mask_range_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropConnectKernels* dropconnect_kernels_avx512() { return nullptr; }
}  // namespace gw
#endif
