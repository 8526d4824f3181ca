// dropconnect: AVX-512 mask kernel (16 Philox blocks per pair of vectors: one tile at once); the lanes are kernels/philox_simd.h's.
#include "kernels/dropconnect.h"

#if defined(__AVX512F__)
#include "kernels/dropconnect_simd.h"

namespace gw {
const DropConnectKernels* dropconnect_kernels_avx512() {
  static const DropConnectKernels table{"avx512", dropconnect_mask_range_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropConnectKernels* dropconnect_kernels_avx512() { return nullptr; }
}  // namespace gw
#endif
