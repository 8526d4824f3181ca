// dropout: SSE2 kernel (4 Philox blocks per pair of vectors); the lanes are kernels/philox_simd.h's.
#include "kernels/dropout.h"

#if defined(__SSE2__) || defined(_M_X64)
#include "kernels/dropout_simd.h"

namespace gw {
const DropoutKernels* dropout_kernels_sse2() {
  static const DropoutKernels table{"sse2", dropout_apply_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropoutKernels* dropout_kernels_sse2() { return nullptr; }
}  // namespace gw
#endif
