// losses: neon kernels (the generic kernels of losses_simd_inl.h over float32x4_t).
// Compiled only into the arm64 build; elsewhere it provides no table.
#include "kernels/losses.h"

#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace gw {
namespace {
#define GW_VEC_NEON 1
#include "kernels/simd.h"
#include "kernels/losses_simd_inl.h"
#undef GW_VEC_NEON
}  // namespace

const LossKernels* loss_kernels_neon() {
  static const LossKernels table = make_loss_table("neon");
  return &table;
}

}  // namespace gw
#else
namespace gw {
const LossKernels* loss_kernels_neon() { return nullptr; }
}  // namespace gw
#endif
