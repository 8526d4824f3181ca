// gemm: AVX2+FMA kernels. Micro-kernel 6x16: 12 ymm accumulators + 2 B vectors
// + 1 broadcast (BLIS haswell sgemm shape).
#include "kernels/gemm.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "kernels/gemm_generic_inl.h"

namespace gw {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

void micro_full_6x16(std::size_t k, const float* a, const float* b, float* c, std::size_t ldc,
                     const GemmTileStore& st) {
  __m256 acc0[kMr], acc1[kMr];
#pragma GCC unroll 6
  for (int i = 0; i < kMr; ++i) acc0[i] = acc1[i] = _mm256_setzero_ps();
  for (std::size_t p = 0; p < k; ++p) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      const __m256 av = _mm256_broadcast_ss(a + i);
      acc0[i] = _mm256_fmadd_ps(av, b0, acc0[i]);
      acc1[i] = _mm256_fmadd_ps(av, b1, acc1[i]);
    }
    a += kMr;
    b += kNr;
  }
  const __m256 alpha = _mm256_set1_ps(st.alpha);
  const __m256 beta = _mm256_set1_ps(st.beta);
  const __m256 zero = _mm256_setzero_ps();
  const __m256 bias0 = st.bias ? _mm256_loadu_ps(st.bias) : zero;
  const __m256 bias1 = st.bias ? _mm256_loadu_ps(st.bias + 8) : zero;
  // Fully unrolled so the accumulator arrays stay in registers.
#pragma GCC unroll 6
  for (int i = 0; i < kMr; ++i) {
    float* cr = c + i * ldc;
    __m256 v0 = _mm256_mul_ps(alpha, acc0[i]);
    __m256 v1 = _mm256_mul_ps(alpha, acc1[i]);
    if (st.beta != 0.0f) {
      v0 = _mm256_fmadd_ps(beta, _mm256_loadu_ps(cr), v0);
      v1 = _mm256_fmadd_ps(beta, _mm256_loadu_ps(cr + 8), v1);
    }
    v0 = _mm256_add_ps(v0, bias0);
    v1 = _mm256_add_ps(v1, bias1);
    if (st.relu) {
      v0 = _mm256_max_ps(zero, v0);
      v1 = _mm256_max_ps(zero, v1);
    }
    _mm256_storeu_ps(cr, v0);
    _mm256_storeu_ps(cr + 8, v1);
  }
}

}  // namespace

const GemmKernels* gemm_kernels_avx2() {
  static const GemmKernels table{"avx2",
                                 kMr,
                                 kNr,
                                 /*mc=*/144,
                                 /*kc=*/256,
                                 /*nc=*/2048,
                                 gemm_pack_a_generic<kMr>,
                                 gemm_pack_b_generic<kNr>,
                                 gemm_micro_with_edges<kMr, kNr, micro_full_6x16>,
                                 /*narrow_max_n=*/0,
                                 nullptr,
                                 gemm_small_generic};
  return &table;
}

}  // namespace gw

#else
namespace gw {
const GemmKernels* gemm_kernels_avx2() { return nullptr; }
}  // namespace gw
#endif
