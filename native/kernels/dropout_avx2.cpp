// dropout: AVX2 kernel (8 Philox blocks per vector).
#include "kernels/dropout.h"

#if defined(__AVX2__)
#include <immintrin.h>

namespace gw {
namespace {

struct Vec {
  using U = __m256i;
  static constexpr std::size_t kLanes = 8;
  static U set1(std::uint32_t v) { return _mm256_set1_epi32(static_cast<int>(v)); }
  static U iota() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
  static U add(U a, U b) { return _mm256_add_epi32(a, b); }
  static U xor_(U a, U b) { return _mm256_xor_si256(a, b); }
  static void mulhilo(U a, U m, U* hi, U* lo) {
    const U even = _mm256_mul_epu32(a, m);
    const U odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
  }
  static void apply(const float* x, float* y, U word, std::uint32_t threshold, float scale) {
    // word >= threshold (unsigned) <=> max(word, threshold) == word.
    const U keep = _mm256_cmpeq_epi32(_mm256_max_epu32(word, set1(threshold)), word);
    const __m256 kept = _mm256_mul_ps(_mm256_loadu_ps(x), _mm256_set1_ps(scale));
    _mm256_storeu_ps(y, _mm256_and_ps(_mm256_castsi256_ps(keep), kept));
  }
};

}  // namespace
}  // namespace gw

#include "kernels/dropout_simd.h"

namespace gw {
const DropoutKernels* dropout_kernels_avx2() {
  static const DropoutKernels table{"avx2", dropout_apply_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropoutKernels* dropout_kernels_avx2() { return nullptr; }
}  // namespace gw
#endif
