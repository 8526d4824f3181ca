// activations: NEON kernels (arm64 only; 4 floats, FMA, bit-select).
#include "kernels/activations.h"

#if defined(__aarch64__) && (defined(__ARM_NEON) || defined(__ARM_NEON__))
#include <arm_neon.h>

namespace gw {
namespace {

#define GW_VEC_NEON 1
#include "kernels/simd.h"
#undef GW_VEC_NEON
using Vec = V;  // the one SIMD layer (kernels/simd.h)

}  // namespace
}  // namespace gw

#include "kernels/activations_simd.h"

namespace gw {
const ActivationKernels* activation_kernels_neon() {
  static const ActivationKernels table = make_activation_table("neon");
  return &table;
}
}  // namespace gw

#else
namespace gw {
const ActivationKernels* activation_kernels_neon() { return nullptr; }
}  // namespace gw
#endif
