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

#define GW_CONV_GENERIC_DEINTERLEAVE 1  // no even/odd shuffle used here: the lane-by-lane one
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
