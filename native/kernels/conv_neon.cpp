// conv: neon kernels (the generic im2col + gemm path of conv_simd_inl.h over float32x4_t).
// Compiled only into the arm64 build; elsewhere it provides no table.
#include "kernels/conv.h"

#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "core/scratch.h"
#include "kernels/gemm.h"

namespace gw {
namespace {
#define GW_VEC_NEON 1
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
#undef GW_VEC_NEON
}  // namespace

const ConvKernels* conv_kernels_neon() {
  static const ConvKernels table = make_conv_table("neon");
  return &table;
}

}  // namespace gw
#else
namespace gw {
const ConvKernels* conv_kernels_neon() { return nullptr; }
}  // namespace gw
#endif
