// gemm: NEON kernels (arm64). Micro-kernel 8x12: 24 q-register accumulators,
// 3 B vectors and 2 A vectors per k step, lane-indexed FMAs (32 registers).
// Packing, small problems and edge tiles use the portable helpers.
#include "kernels/gemm.h"

#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/gemm_generic_inl.h"

namespace gw {
namespace {

constexpr int kMr = 8;
constexpr int kNr = 12;

void micro_full_8x12(std::size_t k, const float* a, const float* b, float* c, std::size_t ldc,
                     const GemmTileStore& st) {
  float32x4_t acc[kMr][3];
  for (int i = 0; i < kMr; ++i)
    for (int v = 0; v < 3; ++v) acc[i][v] = vdupq_n_f32(0.0f);
  for (std::size_t p = 0; p < k; ++p) {
    const float32x4_t a0 = vld1q_f32(a);
    const float32x4_t a1 = vld1q_f32(a + 4);
    const float32x4_t b0 = vld1q_f32(b);
    const float32x4_t b1 = vld1q_f32(b + 4);
    const float32x4_t b2 = vld1q_f32(b + 8);
// The lane index of vfmaq_laneq_f32 must be a literal, hence the macro.
#define GW_GEMM_ROW(i, av, lane)                                \
  acc[i][0] = vfmaq_laneq_f32(acc[i][0], b0, av, lane);         \
  acc[i][1] = vfmaq_laneq_f32(acc[i][1], b1, av, lane);         \
  acc[i][2] = vfmaq_laneq_f32(acc[i][2], b2, av, lane);
    GW_GEMM_ROW(0, a0, 0)
    GW_GEMM_ROW(1, a0, 1)
    GW_GEMM_ROW(2, a0, 2)
    GW_GEMM_ROW(3, a0, 3)
    GW_GEMM_ROW(4, a1, 0)
    GW_GEMM_ROW(5, a1, 1)
    GW_GEMM_ROW(6, a1, 2)
    GW_GEMM_ROW(7, a1, 3)
#undef GW_GEMM_ROW
    a += kMr;
    b += kNr;
  }
  const float32x4_t beta = vdupq_n_f32(st.beta);
  const float32x4_t zero = vdupq_n_f32(0.0f);
  float32x4_t bias[3];
  for (int v = 0; v < 3; ++v) bias[v] = st.bias ? vld1q_f32(st.bias + 4 * v) : zero;
  for (int i = 0; i < kMr; ++i) {
    float* cr = c + i * ldc;
    for (int v = 0; v < 3; ++v) {
      float32x4_t r = vmulq_n_f32(acc[i][v], st.alpha);
      if (st.beta != 0.0f) r = vfmaq_f32(r, beta, vld1q_f32(cr + 4 * v));
      r = vaddq_f32(r, bias[v]);
      if (st.relu) r = vmaxq_f32(r, zero);  // NaN stays NaN
      vst1q_f32(cr + 4 * v, r);
    }
  }
}

}  // namespace

const GemmKernels* gemm_kernels_neon() {
  static const GemmKernels table{"neon",
                                 kMr,
                                 kNr,
                                 /*mc=*/128,
                                 /*kc=*/256,
                                 /*nc=*/2040,
                                 gemm_pack_a_generic<kMr>,
                                 gemm_pack_b_generic<kNr>,
                                 gemm_micro_with_edges<kMr, kNr, micro_full_8x12>,
                                 /*narrow_max_n=*/0,
                                 nullptr,
                                 gemm_small_generic};
  return &table;
}

}  // namespace gw

#else
namespace gw {
const GemmKernels* gemm_kernels_neon() { return nullptr; }
}  // namespace gw
#endif
