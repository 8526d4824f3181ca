// activations: AVX2 + FMA kernels (8 floats).
#include "kernels/activations.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace gw {
namespace {

#define GW_VEC_AVX2 1
#include "kernels/simd.h"
#undef GW_VEC_AVX2
using Vec = V;  // the one SIMD layer (kernels/simd.h)

}  // namespace
}  // namespace gw

#include "kernels/activations_simd.h"

namespace gw {
const ActivationKernels* activation_kernels_avx2() {
  static const ActivationKernels table = make_activation_table("avx2");
  return &table;
}
}  // namespace gw

#else
namespace gw {
const ActivationKernels* activation_kernels_avx2() { return nullptr; }
}  // namespace gw
#endif
