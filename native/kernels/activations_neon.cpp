// activations: NEON kernels (arm64 only; 4 floats, FMA, bit-select).
#include "kernels/activations.h"

#if defined(__aarch64__) && (defined(__ARM_NEON) || defined(__ARM_NEON__))
#include <arm_neon.h>

namespace gw {
namespace {

struct Vec {
  using F = float32x4_t;
  using M = uint32x4_t;
  static constexpr std::size_t kWidth = 4;
  static F load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, F v) { vst1q_f32(p, v); }
  static F set1(float v) { return vdupq_n_f32(v); }
  static F add(F a, F b) { return vaddq_f32(a, b); }
  static F sub(F a, F b) { return vsubq_f32(a, b); }
  static F mul(F a, F b) { return vmulq_f32(a, b); }
  static F div(F a, F b) { return vdivq_f32(a, b); }
  static F fmadd(F a, F b, F c) { return vfmaq_f32(c, a, b); }
  static F min(F a, F b) { return vminnmq_f32(a, b); }
  static F max(F a, F b) { return vmaxnmq_f32(a, b); }
  static F abs(F a) { return vabsq_f32(a); }
  static M gt(F a, F b) { return vcgtq_f32(a, b); }
  static M ge(F a, F b) { return vcgeq_f32(a, b); }
  static M lt(F a, F b) { return vcltq_f32(a, b); }
  static M eq(F a, F b) { return vceqq_f32(a, b); }
  static F select(M m, F a, F b) { return vbslq_f32(m, a, b); }
  static F fnmadd(F a, F b, F c) { return vfmsq_f32(c, a, b); }
  static F recip(F a) { return vdivq_f32(vdupq_n_f32(1.0f), a); }
  static bool any(M m) { return vmaxvq_u32(m) != 0; }
  static F round(F x) { return vrndnq_f32(x); }
  static F pow2n(F n) { return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtnq_s32_f32(n), vdupq_n_s32(127)), 23)); }
  static float reduce_add(F v) { return vaddvq_f32(v); }
  static float reduce_max(F v) { return vmaxvq_f32(v); }
};

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
