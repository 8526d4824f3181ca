// The narrow-output GEMM path (n <= kNarrowMaxN columns: a layer with few
// outputs), one template for every ISA that has it. Rows of A are dotted with
// rows of B^T along K, W lanes of K per FMA; each of the R x C sums is reduced
// once at the end, then stored through gemm_finish (alpha, beta, bias, relu).
//
// Include INSIDE the anonymous namespace of an ISA unit, after
// gemm_generic_inl.h, with a traits struct S:
//   F, Mask, W                      vector type, tail-mask type, lanes
//   kMaxCols, kRowBlock             column-group width and row block (R)
//   zero(), load(p), fma(a, b, c)   (fma(a, b, acc) = a*b + acc)
//   tail(n), load_tail(p, mask)     the first n < W lanes, zeros beyond
//   reduce(v)                       sum of the lanes
#pragma once

template <class S, int R, int C>
void narrow_store(std::size_t k, const float* a, std::size_t lda, const float* bt, std::size_t ldbt, float* c,
                  std::size_t ldc, std::size_t j0, const GemmTileStore& st) {
  bt += j0 * ldbt;
  typename S::F acc[R][C];
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < C; ++q) acc[r][q] = S::zero();
  std::size_t p = 0;
  for (; p + S::W <= k; p += S::W) {
    typename S::F av[R];
    for (int r = 0; r < R; ++r) av[r] = S::load(a + r * lda + p);
    for (int q = 0; q < C; ++q) {
      const typename S::F bv = S::load(bt + q * ldbt + p);
      for (int r = 0; r < R; ++r) acc[r][q] = S::fma(av[r], bv, acc[r][q]);
    }
  }
  if (p < k) {
    const typename S::Mask mask = S::tail(k - p);
    typename S::F av[R];
    for (int r = 0; r < R; ++r) av[r] = S::load_tail(a + r * lda + p, mask);
    for (int q = 0; q < C; ++q) {
      const typename S::F bv = S::load_tail(bt + q * ldbt + p, mask);
      for (int r = 0; r < R; ++r) acc[r][q] = S::fma(av[r], bv, acc[r][q]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int q = 0; q < C; ++q) {
      float* dst = c + r * ldc + j0 + q;
      *dst = gemm_finish(S::reduce(acc[r][q]), dst, st.bias ? st.bias[j0 + q] : 0.0f, st);
    }
  }
}

// Dispatches a group of `cols` columns (cols >= kMaxCols takes kMaxCols) to its instantiation.
template <class S, int R, int C = 1>
void narrow_rows(std::size_t cols, std::size_t k, const float* a, std::size_t lda, const float* bt, std::size_t ldbt,
                 float* c, std::size_t ldc, std::size_t j0, const GemmTileStore& st) {
  if constexpr (C < S::kMaxCols) {
    if (cols == static_cast<std::size_t>(C)) {
      narrow_store<S, R, C>(k, a, lda, bt, ldbt, c, ldc, j0, st);
    } else {
      narrow_rows<S, R, C + 1>(cols, k, a, lda, bt, ldbt, c, ldc, j0, st);
    }
  } else {
    narrow_store<S, R, C>(k, a, lda, bt, ldbt, c, ldc, j0, st);
  }
}

template <class S>
void narrow_n(std::size_t m, std::size_t n, std::size_t k, const GemmOperand& a, const float* bt, std::size_t ldbt,
              float* c, std::size_t ldc, const GemmTileStore& st) {
  // Column groups of at most kMaxCols, as even as possible (10 -> 5 + 5).
  const std::size_t groups = (n + S::kMaxCols - 1) / S::kMaxCols;
  const std::size_t lda = a.row_stride;
  constexpr std::size_t R = S::kRowBlock;
  for (std::size_t i = 0; i < m;) {
    const std::size_t rows = m - i >= R ? R : 1;
    std::size_t j0 = 0;
    for (std::size_t g = 0; g < groups; ++g) {
      const std::size_t cols = (n - j0 + (groups - g) - 1) / (groups - g);
      if (rows == R) {
        narrow_rows<S, S::kRowBlock>(cols, k, a.data + i * lda, lda, bt, ldbt, c + i * ldc, ldc, j0, st);
      } else {
        narrow_rows<S, 1>(cols, k, a.data + i * lda, lda, bt, ldbt, c + i * ldc, ldc, j0, st);
      }
      j0 += cols;
    }
    i += rows;
  }
}
