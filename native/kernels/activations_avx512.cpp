// activations: AVX-512 kernels (16 floats, mask registers for selects).
#include "kernels/activations.h"

#if defined(__AVX512F__)
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own
// _mm512_undefined_* placeholders (GCC bug 105593); not our code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

namespace gw {
namespace {

#define GW_VEC_AVX512 1
#include "kernels/simd.h"
#undef GW_VEC_AVX512
using Vec = V;  // the one SIMD layer (kernels/simd.h)

}  // namespace
}  // namespace gw

#include "kernels/activations_simd.h"

namespace gw {
const ActivationKernels* activation_kernels_avx512() {
  static const ActivationKernels table = make_activation_table("avx512");
  return &table;
}
}  // namespace gw

#else
namespace gw {
const ActivationKernels* activation_kernels_avx512() { return nullptr; }
}  // namespace gw
#endif
