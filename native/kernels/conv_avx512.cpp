// conv: avx512 kernels (the generic im2col + gemm path of conv_simd_inl.h over the avx512 vector type).
#include "kernels/immintrin_avx512.h"

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/conv.h"
#include "kernels/gemm.h"

namespace gw {
namespace {
#define GW_VEC_AVX512 1
#include "kernels/simd.h"
#include "kernels/conv_simd_inl.h"
#undef GW_VEC_AVX512
}  // namespace

const ConvKernels* conv_kernels_avx512() {
  static const ConvKernels table = make_conv_table("avx512");
  return &table;
}

}  // namespace gw
