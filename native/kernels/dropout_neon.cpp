// dropout: NEON kernel (arm64 only; 4 Philox blocks per pair of vectors); the lanes are kernels/philox_simd.h's.
#include "kernels/dropout.h"

#if defined(__aarch64__) && (defined(__ARM_NEON) || defined(__ARM_NEON__))
#include "kernels/dropout_simd.h"

namespace gw {
const DropoutKernels* dropout_kernels_neon() {
  static const DropoutKernels table{"neon", dropout_apply_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropoutKernels* dropout_kernels_neon() { return nullptr; }
}  // namespace gw
#endif
