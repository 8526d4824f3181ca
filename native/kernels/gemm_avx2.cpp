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

// Narrow outputs: R rows of A against C rows of B^T, dot products along K,
// 8 lanes of K per FMA, reduced once at the end (16 ymm registers: R*C
// accumulators + R + 1 must fit).
inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

inline __m256i tail_mask(std::size_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes);
}

template <int R, int C>
void narrow_store(std::size_t k, const float* a, std::size_t lda, const float* bt, std::size_t ldbt, float* c,
                  std::size_t ldc, std::size_t j0, const GemmTileStore& st) {
  bt += j0 * ldbt;
  __m256 acc[R][C];
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < C; ++q) acc[r][q] = _mm256_setzero_ps();
  std::size_t p = 0;
  for (; p + 8 <= k; p += 8) {
    __m256 av[R];
    for (int r = 0; r < R; ++r) av[r] = _mm256_loadu_ps(a + r * lda + p);
    for (int q = 0; q < C; ++q) {
      const __m256 bv = _mm256_loadu_ps(bt + q * ldbt + p);
      for (int r = 0; r < R; ++r) acc[r][q] = _mm256_fmadd_ps(av[r], bv, acc[r][q]);
    }
  }
  if (p < k) {
    const __m256i mask = tail_mask(k - p);
    __m256 av[R];
    for (int r = 0; r < R; ++r) av[r] = _mm256_maskload_ps(a + r * lda + p, mask);
    for (int q = 0; q < C; ++q) {
      const __m256 bv = _mm256_maskload_ps(bt + q * ldbt + p, mask);
      for (int r = 0; r < R; ++r) acc[r][q] = _mm256_fmadd_ps(av[r], bv, acc[r][q]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int q = 0; q < C; ++q) {
      float* dst = c + r * ldc + j0 + q;
      *dst = gemm_finish(hsum(acc[r][q]), dst, st.bias ? st.bias[j0 + q] : 0.0f, st);
    }
  }
}

template <int R>
void narrow_rows(std::size_t cols, std::size_t k, const float* a, std::size_t lda, const float* bt, std::size_t ldbt,
                 float* c, std::size_t ldc, std::size_t j0, const GemmTileStore& st) {
  switch (cols) {
    case 1: narrow_store<R, 1>(k, a, lda, bt, ldbt, c, ldc, j0, st); break;
    case 2: narrow_store<R, 2>(k, a, lda, bt, ldbt, c, ldc, j0, st); break;
    case 3: narrow_store<R, 3>(k, a, lda, bt, ldbt, c, ldc, j0, st); break;
    case 4: narrow_store<R, 4>(k, a, lda, bt, ldbt, c, ldc, j0, st); break;
    default: narrow_store<R, 5>(k, a, lda, bt, ldbt, c, ldc, j0, st); break;
  }
}

constexpr int kNarrowMaxN = 12;

void narrow_n(std::size_t m, std::size_t n, std::size_t k, const GemmOperand& a, const float* bt, std::size_t ldbt,
              float* c, std::size_t ldc, const GemmTileStore& st) {
  // Column groups of at most 5, as even as possible (10 -> 5 + 5).
  const std::size_t groups = (n + 4) / 5;
  const std::size_t lda = a.row_stride;
  for (std::size_t i = 0; i < m;) {
    const std::size_t rows = m - i >= 2 ? 2 : 1;
    std::size_t j0 = 0;
    for (std::size_t g = 0; g < groups; ++g) {
      const std::size_t cols = (n - j0 + (groups - g) - 1) / (groups - g);
      if (rows == 2) {
        narrow_rows<2>(cols, k, a.data + i * lda, lda, bt, ldbt, c + i * ldc, ldc, j0, st);
      } else {
        narrow_rows<1>(cols, k, a.data + i * lda, lda, bt, ldbt, c + i * ldc, ldc, j0, st);
      }
      j0 += cols;
    }
    i += rows;
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
                                 kNarrowMaxN,
                                 narrow_n,
                                 gemm_small_generic};
  return &table;
}

}  // namespace gw

#else
namespace gw {
const GemmKernels* gemm_kernels_avx2() { return nullptr; }
}  // namespace gw
#endif
