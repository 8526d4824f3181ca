// gemm: AVX-512 kernels. Micro-kernel 12x32: 24 zmm accumulators, 2 B vectors,
// A broadcast from memory (BLIS skx sgemm shape, row-major). Edge tiles are
// handled in the kernel with masked loads/stores; a tile at most 16 columns
// wide runs a one-vector variant so narrow outputs (N = 10) waste less.
#include "kernels/gemm.h"

#if defined(__AVX512F__)
#include <immintrin.h>

#include "kernels/gemm_generic_inl.h"

namespace gw {
namespace {

constexpr int kMr = 12;
constexpr int kNr = 32;

inline __mmask16 lane_mask(std::size_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u);
}

template <int NV>
void micro_12xNV(std::size_t k, const float* a, const float* b, float* c, std::size_t ldc, std::size_t m,
                 std::size_t n, const GemmTileStore& st) {
  __m512 acc[NV][kMr];
  for (int v = 0; v < NV; ++v)
    for (int i = 0; i < kMr; ++i) acc[v][i] = _mm512_setzero_ps();
  for (std::size_t p = 0; p < k; ++p) {
    __m512 bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_load_ps(b + 16 * v);
#pragma GCC unroll 12
    for (int i = 0; i < kMr; ++i) {
      const __m512 av = _mm512_set1_ps(a[i]);
      for (int v = 0; v < NV; ++v) acc[v][i] = _mm512_fmadd_ps(av, bv[v], acc[v][i]);
    }
    a += kMr;
    b += kNr;
  }
  __mmask16 mask[NV];
  for (int v = 0; v < NV; ++v) mask[v] = lane_mask(n > 16u * v ? n - 16u * v : 0);
  const __m512 alpha = _mm512_set1_ps(st.alpha);
  const __m512 beta = _mm512_set1_ps(st.beta);
  const __m512 zero = _mm512_setzero_ps();
  __m512 bias[NV];
  for (int v = 0; v < NV; ++v) bias[v] = st.bias ? _mm512_maskz_loadu_ps(mask[v], st.bias + 16 * v) : zero;
  const std::size_t rows = m < static_cast<std::size_t>(kMr) ? m : kMr;
  for (std::size_t i = 0; i < rows; ++i) {
    float* cr = c + i * ldc;
    for (int v = 0; v < NV; ++v) {
      __m512 r = _mm512_mul_ps(alpha, acc[v][i]);
      if (st.beta != 0.0f) r = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(mask[v], cr + 16 * v), r);
      r = _mm512_add_ps(r, bias[v]);
      // max(0, NaN) keeps the NaN (the second operand is returned on NaN).
      if (st.relu) r = _mm512_maskz_max_ps(static_cast<__mmask16>(0xFFFF), zero, r);
      _mm512_mask_storeu_ps(cr + 16 * v, mask[v], r);
    }
  }
}

void micro_12x32(std::size_t k, const float* a, const float* b, float* c, std::size_t ldc, std::size_t m,
                 std::size_t n, const GemmTileStore& st) {
  if (n <= 16) {
    micro_12xNV<1>(k, a, b, c, ldc, m, n, st);
  } else {
    micro_12xNV<2>(k, a, b, c, ldc, m, n, st);
  }
}

}  // namespace

const GemmKernels* gemm_kernels_avx512() {
  static const GemmKernels table{"avx512",
                                 kMr,
                                 kNr,
                                 /*mc=*/144,
                                 /*kc=*/256,
                                 /*nc=*/2048,
                                 gemm_pack_a_generic<kMr>,
                                 gemm_pack_b_generic<kNr>,
                                 micro_12x32,
                                 gemm_small_generic};
  return &table;
}

}  // namespace gw

#else
namespace gw {
const GemmKernels* gemm_kernels_avx512() { return nullptr; }
}  // namespace gw
#endif
