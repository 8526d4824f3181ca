// conv: sse2 kernels (the generic im2col + gemm path of conv_simd_inl.h over the sse2 vector type).
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "kernels/conv.h"
#include "core/scratch.h"
#include "kernels/gemm.h"

namespace gw {
namespace {
#define GW_VEC_SSE2 1
#include "kernels/simd.h"

#define GW_CONV_GENERIC_DEINTERLEAVE 1  // no even/odd shuffle used here: the lane-by-lane one
#include "kernels/conv_simd_inl.h"
#undef GW_VEC_SSE2
}  // namespace

const ConvKernels* conv_kernels_sse2() {
  static const ConvKernels table = make_conv_table("sse2");
  return &table;
}

}  // namespace gw
