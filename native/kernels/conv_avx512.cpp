// conv: avx512 kernels (the direct kernels of conv_direct_inl.h, and the im2col + gemm path of conv_simd_inl.h where they do not apply, over the avx512 vector type).
#include "kernels/immintrin_avx512.h"

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
#define GW_VEC_AVX512 1
#include "kernels/simd.h"

// Loads 32 floats at p and splits them into even and odd elements (conv_simd_inl.h's pooling).
void deinterleave(const float* p, V::F* even, V::F* odd) {
  const __m512 a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + 16);
  const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  *even = _mm512_permutex2var_ps(a, ie, b);
  *odd = _mm512_permutex2var_ps(a, io, b);
}
#include "kernels/conv_simd_inl.h"
#include "kernels/conv_direct_inl.h"
#undef GW_VEC_AVX512
}  // namespace

const ConvKernels* conv_kernels_avx512() {
  static const ConvKernels table = make_conv_table_direct("avx512");
  return &table;
}

}  // namespace gw
