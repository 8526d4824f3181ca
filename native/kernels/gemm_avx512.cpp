// gemm: AVX-512 kernels. Micro-kernel 12x32: 24 zmm accumulators, 2 B vectors,
// A broadcast from memory (BLIS skx sgemm shape, row-major). Edge tiles are
// handled in the kernel with masked loads/stores; a tile at most 16 columns
// wide runs a one-vector variant so narrow outputs (N = 10) waste less.
#include "kernels/gemm.h"

#if defined(__AVX512F__)
// GCC 12's own shuffle/unpack intrinsics start from _mm512_undefined_ps(),
// which trips -Wmaybe-uninitialized once inlined here; the warning is spurious.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include "kernels/gemm_generic_inl.h"

namespace gw {
namespace {

constexpr int kMr = 12;
constexpr int kNr = 32;

inline __mmask16 lane_mask(std::size_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u);
}

// In-register transpose of a 16x16 block: r[i] lane j  ->  r[j] lane i.
inline void transpose16x16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xDD);
    t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xDD);
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
  }
}

// Loads up to 16 rows x 16 columns (rows >= `rows` and columns >= `cols` are
// zero) of a row-major block and transposes it in registers.
inline void load_transposed(const float* src, std::size_t stride, std::size_t rows, std::size_t cols, __m512 r[16]) {
  const __mmask16 mask = lane_mask(cols);
  for (std::size_t i = 0; i < 16; ++i) r[i] = i < rows ? _mm512_maskz_loadu_ps(mask, src + i * stride) : _mm512_setzero_ps();
  transpose16x16(r);
}

void pack_a_12(const GemmOperand& a, std::size_t m, std::size_t k, float* dst) {
  const __mmask16 tile_lanes = static_cast<__mmask16>((1u << kMr) - 1u);
  if (a.row_stride == 1) {  // A transposed: each k step is a contiguous run of m
    const __mmask16 rows = lane_mask(m);
    for (std::size_t p = 0; p < k; ++p) {
      _mm512_mask_storeu_ps(dst + p * kMr, tile_lanes, _mm512_maskz_loadu_ps(rows, a.data + p * a.col_stride));
    }
    return;
  }
  if (a.col_stride != 1) {
    gemm_pack_a_generic<kMr>(a, m, k, dst);
    return;
  }
  // A row-major: transpose 16-wide k blocks of the m rows.
  __m512 r[16];
  for (std::size_t p0 = 0; p0 < k; p0 += 16) {
    const std::size_t kk = k - p0 < 16 ? k - p0 : 16;
    load_transposed(a.data + p0, a.row_stride, m, kk, r);
    for (std::size_t q = 0; q < kk; ++q) _mm512_mask_storeu_ps(dst + (p0 + q) * kMr, tile_lanes, r[q]);
  }
}

void pack_b_32(const GemmOperand& b, std::size_t k, std::size_t n, float* dst) {
  if (b.col_stride == 1) {  // rows of op(B) contiguous: copy 32 (masked) per k step
    const __mmask16 m0 = lane_mask(n), m1 = lane_mask(n > 16 ? n - 16 : 0);
    for (std::size_t p = 0; p < k; ++p) {
      const float* src = b.data + p * b.row_stride;
      // Rows are far apart (a row of B each): fetch a few rows ahead.
      const float* ahead = src + 8 * b.row_stride;
      _mm_prefetch(reinterpret_cast<const char*>(ahead), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(ahead + 16), _MM_HINT_T0);
      _mm512_store_ps(dst + p * kNr, _mm512_maskz_loadu_ps(m0, src));
      _mm512_store_ps(dst + p * kNr + 16, _mm512_maskz_loadu_ps(m1, src + 16));
    }
    return;
  }
  if (b.row_stride != 1) {
    gemm_pack_b_generic<kNr>(b, k, n, dst);
    return;
  }
  // B transposed (stored [N,K]): transpose 16x16 blocks, two per k block.
  __m512 r[16];
  for (std::size_t p0 = 0; p0 < k; p0 += 16) {
    const std::size_t kk = k - p0 < 16 ? k - p0 : 16;
    for (std::size_t h = 0; h < 2; ++h) {
      const std::size_t cols = n > 16 * h ? n - 16 * h : 0;
      load_transposed(b.data + p0 + 16 * h * b.col_stride, b.col_stride, cols < 16 ? cols : 16, kk, r);
      for (std::size_t q = 0; q < kk; ++q) _mm512_store_ps(dst + (p0 + q) * kNr + 16 * h, r[q]);
    }
  }
}

template <int NV>
void micro_12xNV(std::size_t k, const float* a, const float* b, float* c, std::size_t ldc, std::size_t m,
                 std::size_t n, const GemmTileStore& st) {
  __m512 acc[NV][kMr];
  for (int v = 0; v < NV; ++v)
    for (int i = 0; i < kMr; ++i) acc[v][i] = _mm512_setzero_ps();
  // C is only touched after the K loop: start fetching its rows now.
  for (int i = 0; i < kMr; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    if (NV == 2) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
  }
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

// Narrow outputs (gemm_narrow_inl.h): 16 lanes of K per FMA, R = 4 rows x up to 6 columns.
struct NarrowAvx512 {
  using F = __m512;
  using Mask = __mmask16;
  static constexpr std::size_t W = 16;
  static constexpr int kMaxCols = 6;
  static constexpr int kRowBlock = 4;
  static F zero() { return _mm512_setzero_ps(); }
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static Mask tail(std::size_t n) { return lane_mask(n); }
  static F load_tail(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static float reduce(F v) { return _mm512_reduce_add_ps(v); }
};

#include "kernels/gemm_narrow_inl.h"

constexpr int kNarrowMaxN = 24;

}  // namespace

const GemmKernels* gemm_kernels_avx512() {
  static const GemmKernels table{"avx512",
                                 kMr,
                                 kNr,
                                 // mc covers a batch of 128 in one block (B packed
                                 // panel by panel next to its tiles); kc 512 measured
                                 // best on Zen (1024^3: 0.89 -> 0.97 of OpenBLAS vs 256).
                                 /*mc=*/144,
                                 /*kc=*/512,
                                 /*nc=*/2048,
                                 pack_a_12,
                                 pack_b_32,
                                 micro_12x32,
                                 kNarrowMaxN,
                                 narrow_n<NarrowAvx512>,
                                 gemm_small_generic};
  return &table;
}

}  // namespace gw

#else
namespace gw {
const GemmKernels* gemm_kernels_avx512() { return nullptr; }
}  // namespace gw
#endif
