// dropconnect: AVX2 mask kernel (8 Philox blocks per pair of vectors).
#include "kernels/dropconnect.h"

#if defined(__AVX2__)
#include <immintrin.h>

namespace gw {
namespace {

struct Vec {
  using U = __m256i;
  static constexpr std::size_t kLanes = 8;
  static void store(std::uint32_t* dst, U v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), v); }
  static U load(const std::uint32_t* src) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src)); }
  static U set1(std::uint32_t v) { return _mm256_set1_epi32(static_cast<int>(v)); }
  static U iota_even() { return _mm256_setr_epi32(0, 0, 2, 0, 4, 0, 6, 0); }
  static U add(U a, U b) { return _mm256_add_epi32(a, b); }
  static U xor3(U a, U b, U c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
  static U mul_even(U a, U m) { return _mm256_mul_epu32(a, m); }
  static U shr32(U a) { return _mm256_srli_epi64(a, 32); }
  static U interleave(U a, U b) { return _mm256_blend_epi32(a, _mm256_slli_epi64(b, 32), 0xAA); }
  static void apply(const float* x, float* y, U word, std::uint32_t threshold, float scale) {
    // word >= threshold (unsigned) <=> max(word, threshold) == word.
    const U keep = _mm256_cmpeq_epi32(_mm256_max_epu32(word, set1(threshold)), word);
    const __m256 kept = _mm256_mul_ps(_mm256_loadu_ps(x), _mm256_set1_ps(scale));
    _mm256_storeu_ps(y, _mm256_and_ps(_mm256_castsi256_ps(keep), kept));
  }
};

}  // namespace
}  // namespace gw

#include "kernels/dropconnect_simd.h"

namespace gw {
const DropConnectKernels* dropconnect_kernels_avx2() {
  static const DropConnectKernels table{"avx2", dropconnect_mask_range_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropConnectKernels* dropconnect_kernels_avx2() { return nullptr; }
}  // namespace gw
#endif
