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

// Loads 2*V::W floats at p and splits them into even and odd elements (conv_simd_inl.h's pooling).
void deinterleave(const float* p, V::F* even, V::F* odd) {
  float e[V::W], o[V::W];
  for (std::size_t l = 0; l < V::W; ++l) {
    e[l] = p[2 * l];
    o[l] = p[2 * l + 1];
  }
  *even = V::load(e);
  *odd = V::load(o);
}
#include "kernels/conv_simd_inl.h"
#undef GW_VEC_SSE2
}  // namespace

const ConvKernels* conv_kernels_sse2() {
  static const ConvKernels table = make_conv_table("sse2");
  return &table;
}

}  // namespace gw
