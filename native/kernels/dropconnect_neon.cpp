// dropconnect: NEON mask kernel (arm64 only; 4 Philox blocks per pair of vectors); the lanes are kernels/philox_simd.h's.
#include "kernels/dropconnect.h"

#if defined(__aarch64__) && (defined(__ARM_NEON) || defined(__ARM_NEON__))
#include "kernels/dropconnect_simd.h"

namespace gw {
const DropConnectKernels* dropconnect_kernels_neon() {
  static const DropConnectKernels table{"neon", dropconnect_mask_range_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropConnectKernels* dropconnect_kernels_neon() { return nullptr; }
}  // namespace gw
#endif
