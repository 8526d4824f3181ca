// optim: neon kernels (arm64 only; 4 floats per vector, fused multiply-add).
// On other architectures this unit only says "no specialisation".
#include "kernels/optim.h"

#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/optim_simd.h"

namespace gw {
namespace {

struct Neon {
  using T = float32x4_t;
  static constexpr std::size_t kWidth = 4;
  static T load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, T v) { vst1q_f32(p, v); }
  static T set1(float v) { return vdupq_n_f32(v); }
  static T zero() { return vdupq_n_f32(0.0f); }
  static T add(T a, T b) { return vaddq_f32(a, b); }
  static T sub(T a, T b) { return vsubq_f32(a, b); }
  static T mul(T a, T b) { return vmulq_f32(a, b); }
  static T div(T a, T b) { return vdivq_f32(a, b); }
  static T sqrt(T a) { return vsqrtq_f32(a); }
  static T max(T a, T b) { return vmaxq_f32(a, b); }
  static T fmadd(T a, T b, T c) { return vfmaq_f32(c, a, b); }
  static T abs(T a) { return vabsq_f32(a); }
  static T sign(T a) {
    const uint32x4_t one = vreinterpretq_u32_f32(vdupq_n_f32(1.0f));
    const T pos = vreinterpretq_f32_u32(vandq_u32(vcgtq_f32(a, vdupq_n_f32(0.0f)), one));
    const T neg = vreinterpretq_f32_u32(vandq_u32(vcltq_f32(a, vdupq_n_f32(0.0f)), one));
    return vsubq_f32(pos, neg);
  }
  // fmax/fmin propagate NaN on NEON, so NaN stays.
  static T clamp(T v, T lo, T hi) { return vminq_f32(vmaxq_f32(v, lo), hi); }
  static bool any_nan(T a) { return vmaxvq_u32(vmvnq_u32(vceqq_f32(a, a))) != 0; }
};

double sum_squares_neon(const float* x, std::size_t n) {
  float64x2_t acc0 = vdupq_n_f64(0.0);
  float64x2_t acc1 = vdupq_n_f64(0.0);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t v = vld1q_f32(x + i);
    const float64x2_t lo = vcvt_f64_f32(vget_low_f32(v));
    const float64x2_t hi = vcvt_high_f64_f32(v);
    acc0 = vfmaq_f64(acc0, lo, lo);
    acc1 = vfmaq_f64(acc1, hi, hi);
  }
  double s = (vgetq_lane_f64(acc0, 0) + vgetq_lane_f64(acc0, 1)) + (vgetq_lane_f64(acc1, 0) + vgetq_lane_f64(acc1, 1));
  for (; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

}  // namespace

const OptimKernels* optim_kernels_neon() {
  static const OptimKernels table = make_optim_table<Neon>("neon", sum_squares_neon);
  return &table;
}

}  // namespace gw
#else
namespace gw {
const OptimKernels* optim_kernels_neon() { return nullptr; }
}  // namespace gw
#endif
