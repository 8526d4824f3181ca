// dropout: AVX-512 kernel (16 Philox blocks per pair of vectors: one tile at once); the lanes are kernels/philox_simd.h's.
#include "kernels/dropout.h"

#if defined(__AVX512F__)
#include "kernels/dropout_simd.h"

namespace gw {
const DropoutKernels* dropout_kernels_avx512() {
  static const DropoutKernels table{"avx512", dropout_apply_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropoutKernels* dropout_kernels_avx512() { return nullptr; }
}  // namespace gw
#endif
