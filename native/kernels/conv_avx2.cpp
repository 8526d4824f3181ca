// conv: avx2 kernels (the generic im2col + gemm path of conv_simd_inl.h over the avx2 vector type).
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/conv.h"
#include "kernels/gemm.h"

namespace gw {
namespace {
#define GW_VEC_AVX2 1
#include "kernels/simd.h"
#include "kernels/conv_simd_inl.h"
#undef GW_VEC_AVX2
}  // namespace

const ConvKernels* conv_kernels_avx2() {
  static const ConvKernels table = make_conv_table("avx2");
  return &table;
}

}  // namespace gw
