// dropconnect: SSE2 mask kernel (4 Philox blocks per pair of vectors); the lanes are kernels/philox_simd.h's.
#include "kernels/dropconnect.h"

#if defined(__SSE2__) || defined(_M_X64)
#include "kernels/dropconnect_simd.h"

namespace gw {
const DropConnectKernels* dropconnect_kernels_sse2() {
  static const DropConnectKernels table{"sse2", dropconnect_mask_range_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropConnectKernels* dropconnect_kernels_sse2() { return nullptr; }
}  // namespace gw
#endif
