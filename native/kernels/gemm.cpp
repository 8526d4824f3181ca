// Drivers for gemm: cache blocking, packing and the thread split, calling the
// active ISA's kernels (BLIS loop order: jc over N by NC, pc over K by KC,
// ic over M by MC, then the MR x NR tiles of the block).
//
// Threads own disjoint blocks of whole tiles of C and each runs the serial
// loop nest with its own packed buffers (no barriers); K is never split, so
// every element of C sees the same sequence of floating-point operations for
// any thread count.
#include "kernels/gemm.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "core/isa.h"
#include "core/prefetch.h"
#include "core/scratch.h"
#include "core/threads.h"
#include "kernels/gemm_blocked_inl.h"

namespace gw {

const GemmKernels& gemm_kernels() { return GW_PICK(gemm_kernels); }

namespace {

// Problems at or below this many multiply-adds skip packing (and threads).
constexpr std::size_t kSmallFlops = 32 * 32 * 32;
// C = alpha*0 + beta*C (+ bias, relu): the result when K == 0 or alpha == 0.
void scale_only(std::size_t M, std::size_t N, float* c, std::size_t ldc, const GemmTileStore& st) {
  for (std::size_t i = 0; i < M; ++i) {
    float* cr = c + i * ldc;
    for (std::size_t j = 0; j < N; ++j) {
      float v = st.beta != 0.0f ? st.beta * cr[j] : 0.0f;
      if (st.bias) v += st.bias[j];
      if (st.relu && v < 0.0f) v = 0.0f;
      cr[j] = v;
    }
  }
}

void run_small(const GemmKernels& kt, std::size_t M, std::size_t N, std::size_t K, const GemmOperand& A,
               const GemmOperand& B, float* c, std::size_t ldc, const GemmTileStore& st) {
  // Rows are independent: split them in fixed chunks (the reference path is
  // also used for large problems by the scalar table).
  const std::size_t flops_per_row = std::max<std::size_t>(1, N * K);
  const std::size_t rows_per_chunk = std::max<std::size_t>(1, kGemmFlopsPerThread / flops_per_row);
  parallel_chunks(M, rows_per_chunk, [&](std::size_t r0, std::size_t r1) {
    const GemmOperand a{A.data + r0 * A.row_stride, A.row_stride, A.col_stride};
    kt.small(r1 - r0, N, K, a, B, c + r0 * ldc, ldc, st);
  });
}

// sums[j] (j < n) = (start ? 0 : sums[j]) + the k rows of a packed k x nr panel, in row order.
void add_panel_sums(const float* panel, std::size_t k, std::size_t nr, std::size_t n, float* sums, bool start) {
  alignas(64) float acc[64];
  for (std::size_t j = 0; j < nr; ++j) acc[j] = start || j >= n ? 0.0f : sums[j];
  for (std::size_t p = 0; p < k; ++p) {
    const float* row = panel + p * nr;
    for (std::size_t j = 0; j < nr; ++j) acc[j] += row[j];
  }
  for (std::size_t j = 0; j < n; ++j) sums[j] = acc[j];
}

// One thread's share of the blocked path: rows [0, m) of op(A) (a) times columns
// [j0, j1) of op(B), into c and st.mask (both already offset to the share's first
// row). col_sums (not null): also the column sums of op(B)'s rows [0, K) for the
// share's columns, into col_sums[j0..j1) (overwritten when sums_start, else added
// to), summed from each packed micro-panel of op(B) while it is in L1, in row
// order: the bits of bias_grad.
void blocked_share(const GemmKernels& kt, std::size_t m, std::size_t K, const GemmOperand& a, const GemmOperand& B,
                   std::size_t j0, std::size_t j1, float* c, std::size_t ldc, const GemmTileStore& st,
                   float* col_sums = nullptr, bool sums_start = true) {
  const GemmOperand b{B.data + j0 * B.col_stride, B.row_stride, B.col_stride};
  GemmTileStore s = st;
  if (s.bias) s.bias += j0;
  if (s.mask) s.mask += j0;
  float* sums = col_sums ? col_sums + j0 : nullptr;
  const std::size_t NR = kt.nr, n = j1 - j0;
  auto pack_b = [&](std::size_t pc, std::size_t kc, std::size_t j, std::size_t nb, float* dst) {
    for (std::size_t q = 0; q * NR < nb; ++q) {
      const std::size_t jq = j + q * NR;
      const std::size_t nq = std::min(NR, n - jq);
      const GemmOperand panel{b.data + pc * b.row_stride + jq * b.col_stride, b.row_stride, b.col_stride};
      float* d = dst + q * NR * kc;
      kt.pack_b(panel, kc, nq, d);
      if (sums) add_panel_sums(d, kc, NR, nq, sums + jq, pc == 0 && sums_start);
    }
  };
  gemm_blocked_serial(kt, m, n, K, a, pack_b, m <= static_cast<std::size_t>(kt.mc), c + j0, ldc, s);
}

// The blocked path (gemm_blocked_inl.h) with the ISA's packing of op(B). With a
// single M block each B micro-panel is used by one run of tiles: it is packed
// right before them (fuse_b) instead of packing the whole KC x NC block out to
// L3 and reading it back. Split along N unless there are fewer than four
// column panels per thread (A is small to re-pack). col_sums: see blocked_share
// (summed by the shares that hold row 0: every share packs its columns of op(B)
// whole).
void run_blocked(const GemmKernels& kt, std::size_t M, std::size_t N, std::size_t K, const GemmOperand& A,
                 const GemmOperand& B, float* c, std::size_t ldc, const GemmTileStore& st, float* col_sums = nullptr) {
  gemm_blocked_split(kt, M, N, K, 4, [&](std::size_t i0, std::size_t i1, std::size_t j0, std::size_t j1) {
    const GemmOperand a{A.data + i0 * A.row_stride, A.row_stride, A.col_stride};
    GemmTileStore s = st;
    if (s.mask) s.mask += i0 * s.ldm;
    blocked_share(kt, i1 - i0, K, a, B, j0, j1, c + i0 * ldc, ldc, s, i0 == 0 ? col_sums : nullptr);
  });
}

// Narrow outputs with row-contiguous op(A): dot products along K (see
// GemmKernels::narrow). Rows are independent: fixed chunks over threads.
void run_narrow(const GemmKernels& kt, std::size_t M, std::size_t N, std::size_t K, const GemmOperand& A,
                const GemmOperand& B, float* c, std::size_t ldc, const GemmTileStore& st) {
  const float* bt = B.data;
  std::size_t ldbt = B.col_stride;
  if (B.row_stride != 1) {  // B not transposed: make its N columns contiguous rows
    // Row stride K + 16: rows 64 bytes apart from a power-of-two stride, so
    // the streams of the dot products do not all map to one L1 set.
    static thread_local Scratch bt_buf;
    ldbt = K + 16;
    float* t = bt_buf.get(N * ldbt);
    for (std::size_t p = 0; p < K; ++p) {
      const float* row = B.data + p * B.row_stride;
      for (std::size_t j = 0; j < N; ++j) t[j * ldbt + p] = row[j * B.col_stride];
    }
    bt = t;
  }
  const std::size_t rows_per_chunk = std::max<std::size_t>(4, (kGemmFlopsPerThread / std::max<std::size_t>(1, N * K)) / 4 * 4);
  parallel_chunks(M, rows_per_chunk, [&](std::size_t r0, std::size_t r1) {
    const GemmOperand a{A.data + r0 * A.row_stride, A.row_stride, 1};
    kt.narrow(r1 - r0, N, K, a, bt, ldbt, c + r0 * ldc, ldc, st);
  });
}

// Whether run_gemm takes the blocked path for this problem.
bool takes_blocked_path(const GemmKernels& kt, std::size_t M, std::size_t N, std::size_t K, const GemmOperand& A,
                        float alpha) {
  if (M == 0 || N == 0 || K == 0 || alpha == 0.0f) return false;
  if (kt.mr == 0 || M * N * K <= kSmallFlops) return false;
  return !(kt.narrow && N <= static_cast<std::size_t>(kt.narrow_max_n) && A.col_stride == 1 && K >= 16);
}

// C = store(op(A) op(B)) on the path the problem calls for. col_sums (not
// null): also the column sums of op(B) (K x N), as bias_grad sums them.
void run_gemm(std::size_t M, std::size_t N, std::size_t K, const GemmOperand& A, const GemmOperand& B, float* c,
              std::size_t ldc, const GemmTileStore& st, float* col_sums = nullptr) {
  const GemmKernels& kt = gemm_kernels();
  if (M != 0 && N != 0 && takes_blocked_path(kt, M, N, K, A, st.alpha)) {
    run_blocked(kt, M, N, K, A, B, c, ldc, st, col_sums);
    return;
  }
  if (col_sums) {  // op(B) as a row-major K x N block, summed in row order (bias_grad's bits)
    for (std::size_t j = 0; j < N; ++j) col_sums[j] = 0.0f;
    for (std::size_t p = 0; p < K; ++p) {
      for (std::size_t j = 0; j < N; ++j) col_sums[j] += B.data[p * B.row_stride + j * B.col_stride];
    }
  }
  if (M == 0 || N == 0) return;
  GemmTileStore s = st;
  s.mask = nullptr;
  if (K == 0 || st.alpha == 0.0f) {
    scale_only(M, N, c, ldc, s);
  } else if (kt.mr == 0 || M * N * K <= kSmallFlops) {
    run_small(kt, M, N, K, A, B, c, ldc, s);
  } else {
    run_narrow(kt, M, N, K, A, B, c, ldc, s);
  }
  if (st.mask) {
    parallel_chunks(M, 64, [&](std::size_t r0, std::size_t r1) {
      gemm_mask_tile(c + r0 * ldc, ldc, r1 - r0, N, st.mask + r0 * st.ldm, st.ldm);
    });
  }
}

// Gathered-row operands. The whole x only exists on the paths that are not
// blocked (small problems, narrow outputs, the scalar table): there it is
// gathered into a temporary first. On the blocked path each thread converts
// the part of x its share reads, a block at a time, into its own buffer.
const std::uint8_t* gathered_row(const GatheredU8& x, std::size_t r) {
  return x.src + static_cast<std::size_t>(x.index[r]) * x.cols;
}

// dst[(r - r0) * ld + (c - c0)] = x(r, c) for r in [r0, r1), c in [c0, c1).
void convert_rows(const GatheredU8& x, std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1, float* dst,
                  std::size_t ld) {
  const float scale = x.scale;
  for (std::size_t r = r0; r < r1; ++r) {
    if (r + kGatherAhead < r1) prefetch_bytes(gathered_row(x, r + kGatherAhead) + c0, c1 - c0);
    const std::uint8_t* s = gathered_row(x, r) + c0;
    float* d = dst + (r - r0) * ld;
    for (std::size_t c = 0; c < c1 - c0; ++c) d[c] = static_cast<float>(s[c]) * scale;
  }
}

// All of x, in the calling thread's buffer (kept, as the model keeps its input buffer).
const float* gather_all(const GatheredU8& x, std::size_t rows) {
  static thread_local Scratch all_buf;
  float* out = all_buf.get(rows * x.cols);
  convert_rows(x, 0, rows, 0, x.cols, out, x.cols);
  return out;
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha, const float* a,
           std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc) {
  const GemmOperand A = trans_a ? GemmOperand{a, 1, lda} : GemmOperand{a, lda, 1};
  const GemmOperand B = trans_b ? GemmOperand{b, 1, ldb} : GemmOperand{b, ldb, 1};
  run_gemm(M, N, K, A, B, c, ldc, GemmTileStore{alpha, beta, nullptr, false});
}

void linear_forward(const float* x, const float* w, const float* bias, float* y, std::size_t rows,
                    std::size_t in_features, std::size_t out_features, bool relu) {
  const GemmOperand X{x, in_features, 1};
  const GemmOperand W{w, out_features, 1};
  run_gemm(rows, out_features, in_features, X, W, y, out_features, GemmTileStore{1.0f, 0.0f, bias, relu});
}

void linear_forward_gathered(const GatheredU8& x, const float* w, const float* bias, float* y, std::size_t rows,
                             std::size_t in_features, std::size_t out_features, bool relu) {
  const GemmKernels& kt = gemm_kernels();
  const GemmOperand W{w, out_features, 1};
  const GemmTileStore st{1.0f, 0.0f, bias, relu};
  const std::size_t M = rows, N = out_features, K = in_features;
  if (!takes_blocked_path(kt, M, N, K, GemmOperand{nullptr, K, 1}, 1.0f)) {
    run_gemm(M, N, K, GemmOperand{gather_all(x, rows), K, 1}, W, y, N, st);
    return;
  }
  // Rows are independent: convert and multiply a block of rows at a time (a
  // multiple of MR, so the tiles are those of the unfused GEMM).
  const std::size_t block = gemm_round_up(std::max<std::size_t>(kt.mc, 256), kt.mr);
  gemm_blocked_split(kt, M, N, K, 4, [&](std::size_t i0, std::size_t i1, std::size_t j0, std::size_t j1) {
    static thread_local Scratch rows_buf;
    float* buf = rows_buf.get(std::min(block, i1 - i0) * K);
    for (std::size_t r = i0; r < i1; r += block) {
      const std::size_t r1 = std::min(i1, r + block);
      convert_rows(x, r, r1, 0, K, buf, K);
      blocked_share(kt, r1 - r, K, GemmOperand{buf, K, 1}, W, j0, j1, y + r * N, N, st);
    }
  });
}

void weight_grad_gathered(const GatheredU8& x, const float* g, float* dw, float* db, std::size_t rows,
                          std::size_t in_features, std::size_t out_features) {
  const GemmKernels& kt = gemm_kernels();
  const GemmOperand G{g, out_features, 1};
  const std::size_t M = in_features, N = out_features, K = rows;
  if (!takes_blocked_path(kt, M, N, K, GemmOperand{nullptr, 1, M}, 1.0f)) {
    run_gemm(M, N, K, GemmOperand{gather_all(x, rows), 1, M}, G, dw, N, GemmTileStore{1.0f, 0.0f, nullptr, false}, db);
    return;
  }
  // op(A) = x^T: a share's rows are features [i0, i1), its K all the samples.
  // Convert a block of samples at a time: a multiple of KC, so the blocks
  // accumulate into dw exactly as the K blocks of one GEMM do (beta = 1 after
  // the first).
  const std::size_t block = gemm_round_up(256, kt.kc);
  gemm_blocked_split(kt, M, N, K, 4, [&](std::size_t i0, std::size_t i1, std::size_t j0, std::size_t j1) {
    static thread_local Scratch samples_buf;
    const std::size_t m = i1 - i0;
    float* buf = samples_buf.get(std::min(block, K) * m);
    for (std::size_t p = 0; p < K; p += block) {
      const std::size_t p1 = std::min(K, p + block);
      convert_rows(x, p, p1, i0, i1, buf, m);
      const GemmOperand a{buf, 1, m};
      const GemmOperand gb{G.data + p * G.row_stride, G.row_stride, 1};
      const GemmTileStore st{1.0f, p == 0 ? 0.0f : 1.0f, nullptr, false};
      blocked_share(kt, m, p1 - p, a, gb, j0, j1, dw + i0 * N, N, st, i0 == 0 ? db : nullptr, p == 0);
    }
  });
}

void weight_grad(const float* x, const float* g, float* dw, float* db, std::size_t rows, std::size_t in_features,
                 std::size_t out_features) {
  run_gemm(in_features, out_features, rows, GemmOperand{x, 1, in_features}, GemmOperand{g, out_features, 1}, dw,
           out_features, GemmTileStore{1.0f, 0.0f, nullptr, false}, db);
}

void input_grad(const float* g, const float* w, float* dx, const float* mask, std::size_t rows,
                std::size_t in_features, std::size_t out_features) {
  GemmTileStore st{1.0f, 0.0f, nullptr, false};
  st.mask = mask;
  st.ldm = in_features;
  run_gemm(rows, in_features, out_features, GemmOperand{g, out_features, 1}, GemmOperand{w, 1, out_features}, dx,
           in_features, st);
}

void bias_grad(const float* dy, float* db, std::size_t rows, std::size_t cols) {
  // Column chunks are independent; each sums its rows in order.
  parallel_chunks(cols, 1024, [&](std::size_t c0, std::size_t c1) {
    for (std::size_t j = c0; j < c1; ++j) db[j] = 0.0f;
    for (std::size_t r = 0; r < rows; ++r) {
      const float* row = dy + r * cols;
      for (std::size_t j = c0; j < c1; ++j) db[j] += row[j];
    }
  });
}

}  // namespace gw
