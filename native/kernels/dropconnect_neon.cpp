// dropconnect: NEON mask kernel (arm64 only; 4 Philox blocks per pair of vectors).
#include "kernels/dropconnect.h"

#if defined(__aarch64__) && (defined(__ARM_NEON) || defined(__ARM_NEON__))
#include <arm_neon.h>

namespace gw {
namespace {

struct Vec {
  using U = uint32x4_t;
  static constexpr std::size_t kLanes = 4;
  static void store(std::uint32_t* dst, U v) { vst1q_u32(dst, v); }
  static U load(const std::uint32_t* src) { return vld1q_u32(src); }
  static U set1(std::uint32_t v) { return vdupq_n_u32(v); }
  static U iota_even() {
    static const std::uint32_t lanes[4] = {0, 0, 2, 0};
    return vld1q_u32(lanes);
  }
  static U add(U a, U b) { return vaddq_u32(a, b); }
  static U xor3(U a, U b, U c) { return veorq_u32(veorq_u32(a, b), c); }
  // vmovn takes the low 32 bits of each 64-bit lane; vmull gives the two 64-bit products.
  static U mul_even(U a, U m) {
    return vreinterpretq_u32_u64(vmull_u32(vmovn_u64(vreinterpretq_u64_u32(a)), vget_low_u32(m)));
  }
  static U shr32(U a) { return vreinterpretq_u32_u64(vshrq_n_u64(vreinterpretq_u64_u32(a), 32)); }
  static U interleave(U a, U b) { return vtrn1q_u32(a, b); }
  static void apply(const float* x, float* y, U word, std::uint32_t threshold, float scale) {
    const uint32x4_t keep = vcgeq_u32(word, vdupq_n_u32(threshold));
    const float32x4_t kept = vmulq_n_f32(vld1q_f32(x), scale);
    vst1q_f32(y, vreinterpretq_f32_u32(vandq_u32(keep, vreinterpretq_u32_f32(kept))));
  }
};

}  // namespace
}  // namespace gw

#include "kernels/dropconnect_simd.h"

namespace gw {
const DropConnectKernels* dropconnect_kernels_neon() {
  static const DropConnectKernels table{"neon", dropconnect_mask_range_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropConnectKernels* dropconnect_kernels_neon() { return nullptr; }
}  // namespace gw
#endif
