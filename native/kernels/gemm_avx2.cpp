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

// Narrow outputs (gemm_narrow_inl.h): 8 lanes of K per FMA, R = 2 rows x up to
// 5 columns (16 ymm registers: R*C accumulators + R + 1 must fit).
struct NarrowAvx2 {
  using F = __m256;
  using Mask = __m256i;
  static constexpr std::size_t W = 8;
  static constexpr int kMaxCols = 5;
  static constexpr int kRowBlock = 2;
  static F zero() { return _mm256_setzero_ps(); }
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static Mask tail(std::size_t n) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes);
  }
  static F load_tail(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
  static float reduce(F v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
};

#include "kernels/gemm_narrow_inl.h"

constexpr int kNarrowMaxN = 12;

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
                                 kNarrowMaxN,
                                 narrow_n<NarrowAvx2>,
                                 gemm_small_generic};
  return &table;
}

}  // namespace gw

#else
namespace gw {
const GemmKernels* gemm_kernels_avx2() { return nullptr; }
}  // namespace gw
#endif
