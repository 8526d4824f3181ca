// activations: SSE2 kernels (4 floats; no FMA, no blend: and/andnot/or).
#include "kernels/activations.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>

namespace gw {
namespace {

#define GW_VEC_SSE2 1
#include "kernels/simd.h"
#undef GW_VEC_SSE2
using Vec = V;  // the one SIMD layer (kernels/simd.h)

}  // namespace
}  // namespace gw

#include "kernels/activations_simd.h"

namespace gw {
const ActivationKernels* activation_kernels_sse2() {
  static const ActivationKernels table = make_activation_table("sse2");
  return &table;
}
}  // namespace gw

#else
namespace gw {
const ActivationKernels* activation_kernels_sse2() { return nullptr; }
}  // namespace gw
#endif
