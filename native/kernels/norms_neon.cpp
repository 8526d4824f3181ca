// norms: neon kernels (the generic kernels of norms_simd_inl.h over float32x4_t).
// Compiled only into the arm64 build; elsewhere it provides no table.
#include "kernels/norms.h"

#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include <algorithm>
#include <cstddef>

namespace gw {
namespace {
#define GW_VEC_NEON 1
#include "kernels/simd.h"
#include "kernels/norms_simd_inl.h"
#undef GW_VEC_NEON
}  // namespace

const NormKernels* norm_kernels_neon() {
  static const NormKernels table = make_norm_table("neon");
  return &table;
}

}  // namespace gw
#else
namespace gw {
const NormKernels* norm_kernels_neon() { return nullptr; }
}  // namespace gw
#endif
