// dropout: AVX2 kernel (8 Philox blocks per pair of vectors); the lanes are kernels/philox_simd.h's.
#include "kernels/dropout.h"

#if defined(__AVX2__)
#include "kernels/dropout_simd.h"

namespace gw {
const DropoutKernels* dropout_kernels_avx2() {
  static const DropoutKernels table{"avx2", dropout_apply_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropoutKernels* dropout_kernels_avx2() { return nullptr; }
}  // namespace gw
#endif
