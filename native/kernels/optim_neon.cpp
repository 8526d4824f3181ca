// optim: neon kernels (arm64 only; 4 floats per vector, fused multiply-add).
// On other architectures this unit only says "no specialisation".
#include "kernels/optim.h"

#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/optim_simd.h"

namespace gw {
namespace {

#define GW_VEC_NEON 1
#include "kernels/simd.h"
#undef GW_VEC_NEON
using Neon = V;  // the one SIMD layer (kernels/simd.h)

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
