// dropout: NEON kernel (arm64 only; 4 Philox blocks per vector).
#include "kernels/dropout.h"

#if defined(__aarch64__) && (defined(__ARM_NEON) || defined(__ARM_NEON__))
#include <arm_neon.h>

namespace gw {
namespace {

struct Vec {
  using U = uint32x4_t;
  static constexpr std::size_t kLanes = 4;
  static U set1(std::uint32_t v) { return vdupq_n_u32(v); }
  static U iota() {
    static const std::uint32_t lanes[4] = {0, 1, 2, 3};
    return vld1q_u32(lanes);
  }
  static U add(U a, U b) { return vaddq_u32(a, b); }
  static U xor_(U a, U b) { return veorq_u32(a, b); }
  static void mulhilo(U a, U m, U* hi, U* lo) {
    const uint64x2_t p_low = vmull_u32(vget_low_u32(a), vget_low_u32(m));
    const uint64x2_t p_high = vmull_high_u32(a, m);
    *lo = vmulq_u32(a, m);
    *hi = vuzp2q_u32(vreinterpretq_u32_u64(p_low), vreinterpretq_u32_u64(p_high));
  }
  static void apply(const float* x, float* y, U word, std::uint32_t threshold, float scale) {
    const uint32x4_t keep = vcgeq_u32(word, vdupq_n_u32(threshold));
    const float32x4_t kept = vmulq_n_f32(vld1q_f32(x), scale);
    vst1q_f32(y, vreinterpretq_f32_u32(vandq_u32(keep, vreinterpretq_u32_f32(kept))));
  }
};

}  // namespace
}  // namespace gw

#include "kernels/dropout_simd.h"

namespace gw {
const DropoutKernels* dropout_kernels_neon() {
  static const DropoutKernels table{"neon", dropout_apply_simd};
  return &table;
}
}  // namespace gw

#else
namespace gw {
const DropoutKernels* dropout_kernels_neon() { return nullptr; }
}  // namespace gw
#endif
