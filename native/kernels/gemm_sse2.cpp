// gemm: SSE2 kernels. Micro-kernel 6x8: 12 accumulators + 2 B vectors + 1
// broadcast fit the 16 xmm registers.
#include "kernels/gemm.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>

#include "kernels/gemm_generic_inl.h"

namespace gw {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 8;

void micro_full_6x8(std::size_t k, const float* a, const float* b, float* c, std::size_t ldc,
                    const GemmTileStore& st) {
  __m128 acc0[kMr], acc1[kMr];
#pragma GCC unroll 6
  for (int i = 0; i < kMr; ++i) acc0[i] = acc1[i] = _mm_setzero_ps();
  for (std::size_t p = 0; p < k; ++p) {
    const __m128 b0 = _mm_load_ps(b);
    const __m128 b1 = _mm_load_ps(b + 4);
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      const __m128 av = _mm_set1_ps(a[i]);
      acc0[i] = _mm_add_ps(acc0[i], _mm_mul_ps(av, b0));
      acc1[i] = _mm_add_ps(acc1[i], _mm_mul_ps(av, b1));
    }
    a += kMr;
    b += kNr;
  }
  const __m128 alpha = _mm_set1_ps(st.alpha);
  const __m128 beta = _mm_set1_ps(st.beta);
  const __m128 zero = _mm_setzero_ps();
  const __m128 bias0 = st.bias ? _mm_loadu_ps(st.bias) : zero;
  const __m128 bias1 = st.bias ? _mm_loadu_ps(st.bias + 4) : zero;
  // Fully unrolled so the accumulator arrays stay in registers.
#pragma GCC unroll 6
  for (int i = 0; i < kMr; ++i) {
    float* cr = c + i * ldc;
    __m128 v0 = _mm_mul_ps(alpha, acc0[i]);
    __m128 v1 = _mm_mul_ps(alpha, acc1[i]);
    if (st.beta != 0.0f) {
      v0 = _mm_add_ps(v0, _mm_mul_ps(beta, _mm_loadu_ps(cr)));
      v1 = _mm_add_ps(v1, _mm_mul_ps(beta, _mm_loadu_ps(cr + 4)));
    }
    v0 = _mm_add_ps(v0, bias0);
    v1 = _mm_add_ps(v1, bias1);
    if (st.relu) {
      v0 = _mm_max_ps(zero, v0);
      v1 = _mm_max_ps(zero, v1);
    }
    _mm_storeu_ps(cr, v0);
    _mm_storeu_ps(cr + 4, v1);
  }
}

}  // namespace

const GemmKernels* gemm_kernels_sse2() {
  static const GemmKernels table{"sse2",
                                 kMr,
                                 kNr,
                                 /*mc=*/120,
                                 /*kc=*/256,
                                 /*nc=*/2048,
                                 gemm_pack_a_generic<kMr>,
                                 gemm_pack_b_generic<kNr>,
                                 gemm_micro_with_edges<kMr, kNr, micro_full_6x8>,
                                 /*narrow_max_n=*/0,
                                 nullptr,
                                 gemm_small_generic};
  return &table;
}

}  // namespace gw

#else
namespace gw {
const GemmKernels* gemm_kernels_sse2() { return nullptr; }
}  // namespace gw
#endif
