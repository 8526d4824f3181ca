// gemm: portable helpers compiled into each ISA translation unit (so the
// compiler vectorises them for that ISA). Everything lives in an anonymous
// namespace: each TU gets its own internal copy, never an ODR clash.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "kernels/gemm.h"

namespace gw {
namespace {

inline float gemm_finish(float acc, float* c, float bias, const GemmTileStore& st) {
  float v = st.alpha * acc;
  if (st.beta != 0.0f) v += st.beta * *c;
  v += bias;
  // relu that keeps NaN (as PyTorch does).
  if (st.relu && v < 0.0f) v = 0.0f;
  return v;
}

// Stores an accumulated tile (t, row stride ldt) into C rows < m, cols < n.
inline void gemm_store_tile(const float* t, std::size_t ldt, float* c, std::size_t ldc, std::size_t m, std::size_t n,
                            const GemmTileStore& st) {
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      c[i * ldc + j] = gemm_finish(t[i * ldt + j], &c[i * ldc + j], st.bias ? st.bias[j] : 0.0f, st);
    }
  }
}

template <int MR>
void gemm_pack_a_generic(const GemmOperand& a, std::size_t m, std::size_t k, float* dst) {
  if (a.row_stride == 1) {  // op(A) is column-contiguous (A transposed): copy runs of m
    for (std::size_t p = 0; p < k; ++p) {
      const float* src = a.data + p * a.col_stride;
      float* d = dst + p * MR;
      std::size_t i = 0;
      for (; i < m; ++i) d[i] = src[i];
      for (; i < static_cast<std::size_t>(MR); ++i) d[i] = 0.0f;
    }
    return;
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(MR); ++i) {
    if (i >= m) {
      for (std::size_t p = 0; p < k; ++p) dst[p * MR + i] = 0.0f;
      continue;
    }
    const float* src = a.data + i * a.row_stride;
    for (std::size_t p = 0; p < k; ++p) dst[p * MR + i] = src[p * a.col_stride];
  }
}

template <int NR>
void gemm_pack_b_generic(const GemmOperand& b, std::size_t k, std::size_t n, float* dst) {
  if (b.col_stride == 1) {  // rows of op(B) are contiguous: copy runs of n
    for (std::size_t p = 0; p < k; ++p) {
      const float* src = b.data + p * b.row_stride;
      float* d = dst + p * NR;
      std::size_t j = 0;
      for (; j < n; ++j) d[j] = src[j];
      for (; j < static_cast<std::size_t>(NR); ++j) d[j] = 0.0f;
    }
    return;
  }
  for (std::size_t j = 0; j < static_cast<std::size_t>(NR); ++j) {
    if (j >= n) {
      for (std::size_t p = 0; p < k; ++p) dst[p * NR + j] = 0.0f;
      continue;
    }
    const float* src = b.data + j * b.col_stride;
    for (std::size_t p = 0; p < k; ++p) dst[p * NR + j] = src[p * b.row_stride];
  }
}

// Small problems: C = store(op(A) * op(B)) row by row, no packing. The inner
// loop runs along a row of C so it vectorises when op(B)'s rows are contiguous.
void gemm_small_generic(std::size_t m, std::size_t n, std::size_t k, const GemmOperand& a, const GemmOperand& b,
                        float* c, std::size_t ldc, const GemmTileStore& st) {
  constexpr std::size_t kCols = 256;
  alignas(64) float acc[kCols];
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j0 = 0; j0 < n; j0 += kCols) {
      const std::size_t nj = std::min(kCols, n - j0);
      for (std::size_t j = 0; j < nj; ++j) acc[j] = 0.0f;
      for (std::size_t p = 0; p < k; ++p) {
        const float av = a.data[i * a.row_stride + p * a.col_stride];
        const float* brow = b.data + p * b.row_stride + j0 * b.col_stride;
        if (b.col_stride == 1) {
          for (std::size_t j = 0; j < nj; ++j) acc[j] += av * brow[j];
        } else {
          for (std::size_t j = 0; j < nj; ++j) acc[j] += av * brow[j * b.col_stride];
        }
      }
      GemmTileStore s = st;
      if (s.bias) s.bias += j0;
      gemm_store_tile(acc, kCols, c + i * ldc + j0, ldc, 1, nj, s);
    }
  }
}

// Edge tiles for kernels without masked stores: run the full kernel into a
// temporary tile, then store the valid part.
template <int MR, int NR,
          void (*Full)(std::size_t, const float*, const float*, float*, std::size_t, const GemmTileStore&)>
void gemm_micro_with_edges(std::size_t k, const float* a, const float* b, float* c, std::size_t ldc, std::size_t m,
                           std::size_t n, const GemmTileStore& st) {
  if (m == static_cast<std::size_t>(MR) && n == static_cast<std::size_t>(NR)) {
    Full(k, a, b, c, ldc, st);
    return;
  }
  alignas(64) float tile[MR * NR];
  const GemmTileStore raw{1.0f, 0.0f, nullptr, false};
  Full(k, a, b, tile, NR, raw);
  gemm_store_tile(tile, NR, c, ldc, m, n, st);
}

}  // namespace
}  // namespace gw
