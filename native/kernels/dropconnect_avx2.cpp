// dropconnect: AVX2 mask kernel (8 Philox blocks per pair of vectors); the lanes are kernels/philox_simd.h's.
#include "kernels/dropconnect.h"

#if defined(__AVX2__)
#include "kernels/dropconnect_simd.h"

namespace gw {
const DropConnectKernels* dropconnect_kernels_avx2() {
  static const DropConnectKernels table{"avx2", dropconnect_mask_range_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropConnectKernels* dropconnect_kernels_avx2() { return nullptr; }
}  // namespace gw
#endif
