// conv: avx2 kernels (the direct kernels of conv_direct_inl.h, and the im2col + gemm path of conv_simd_inl.h where they do not apply, over the avx2 vector type).
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "kernels/conv.h"
#include "core/scratch.h"
#include "kernels/gemm.h"

namespace gw {
namespace {
#define GW_VEC_AVX2 1
#include "kernels/simd.h"

// Loads 16 floats at p and splits them into even and odd elements (conv_simd_inl.h's pooling).
void deinterleave(const float* p, V::F* even, V::F* odd) {
  const __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
  // [a0 a2 b0 b2 | a4 a6 b4 b6] -> lanes 64-bit (0, 2, 1, 3)
  *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0))), 0xD8));
  *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))), 0xD8));
}
#include "kernels/conv_simd_inl.h"
#include "kernels/conv_direct_inl.h"
#undef GW_VEC_AVX2
}  // namespace

const ConvKernels* conv_kernels_avx2() {
  static const ConvKernels table = make_conv_table_direct("avx2");
  return &table;
}

}  // namespace gw
