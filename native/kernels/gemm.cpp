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
#include <exception>
#include <memory>
#include <new>

#include "core/isa.h"
#include "core/threads.h"

namespace gw {

const GemmKernels& gemm_kernels() { return GW_PICK(gemm_kernels); }

namespace {

// Problems at or below this many multiply-adds skip packing (and threads).
constexpr std::size_t kSmallFlops = 32 * 32 * 32;
// Below this many multiply-adds per thread, more threads do not pay off.
constexpr std::size_t kFlopsPerThread = 64 * 64 * 64;

// A 64-byte aligned scratch buffer kept per calling thread, grown on demand,
// so repeated GEMMs do not page-fault fresh memory every call.
struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};
struct Scratch {
  std::unique_ptr<float, AlignedFree> data;
  std::size_t size = 0;
  float* get(std::size_t n) {
    if (n > size) {
      const std::size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
      data.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
      if (!data) throw std::bad_alloc();
      size = n;
    }
    return data.get();
  }
};

std::size_t round_up(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }

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
  const std::size_t rows_per_chunk = std::max<std::size_t>(1, kFlopsPerThread / flops_per_row);
  parallel_chunks(M, rows_per_chunk, [&](std::size_t r0, std::size_t r1) {
    const GemmOperand a{A.data + r0 * A.row_stride, A.row_stride, A.col_stride};
    kt.small(r1 - r0, N, K, a, B, c + r0 * ldc, ldc, st);
  });
}

// One thread's share: a plain single-threaded BLIS loop nest over the rows
// and columns it owns, with its own packed buffers (no barriers).
void blocked_serial(const GemmKernels& kt, std::size_t M, std::size_t N, std::size_t K, const GemmOperand& A,
                    const GemmOperand& B, float* c, std::size_t ldc, const GemmTileStore& st) {
  const std::size_t MR = kt.mr, NR = kt.nr;
  const std::size_t MC = kt.mc, KC = kt.kc, NC = kt.nc;
  // With a single M block each B micro-panel is used by one run of tiles:
  // pack it right before them, into a buffer that stays in L1, instead of
  // packing the whole KC x NC block out to L3 and reading it back.
  const bool fuse_b = M <= MC;
  static thread_local Scratch packed_a_buf, packed_b_buf;
  float* packed_a = packed_a_buf.get(round_up(std::min(MC, M), MR) * std::min(KC, K));
  float* packed_b = packed_b_buf.get((fuse_b ? NR : round_up(std::min(NC, N), NR)) * std::min(KC, K));

  for (std::size_t jc = 0; jc < N; jc += NC) {
    const std::size_t nc = std::min(NC, N - jc);
    const std::size_t n_panels = (nc + NR - 1) / NR;
    for (std::size_t pc = 0; pc < K; pc += KC) {
      const std::size_t kc = std::min(KC, K - pc);
      GemmTileStore tile_store = st;
      if (pc != 0) tile_store.beta = 1.0f;  // later K blocks accumulate into C
      if (pc + kc != K) {                   // bias and relu once, after the last K block
        tile_store.bias = nullptr;
        tile_store.relu = false;
      }
      auto pack_b_panel = [&](std::size_t jp, float* dst) {
        const std::size_t j = jc + jp * NR;
        const GemmOperand b{B.data + pc * B.row_stride + j * B.col_stride, B.row_stride, B.col_stride};
        kt.pack_b(b, kc, std::min(NR, N - j), dst);
      };
      if (!fuse_b) {
        for (std::size_t jp = 0; jp < n_panels; ++jp) pack_b_panel(jp, packed_b + jp * NR * kc);
      }
      for (std::size_t ic = 0; ic < M; ic += MC) {
        const std::size_t mc = std::min(MC, M - ic);
        const std::size_t m_panels = (mc + MR - 1) / MR;
        for (std::size_t ip = 0; ip < m_panels; ++ip) {
          const std::size_t i = ic + ip * MR;
          const GemmOperand a{A.data + i * A.row_stride + pc * A.col_stride, A.row_stride, A.col_stride};
          kt.pack_a(a, std::min(MR, M - i), kc, packed_a + ip * MR * kc);
        }
        for (std::size_t jp = 0; jp < n_panels; ++jp) {
          const std::size_t j = jc + jp * NR;
          const float* panel_b = packed_b + jp * NR * kc;
          if (fuse_b) {
            pack_b_panel(jp, packed_b);
            panel_b = packed_b;
          }
          GemmTileStore s = tile_store;
          if (s.bias) s.bias += j;
          for (std::size_t ip = 0; ip < m_panels; ++ip) {
            const std::size_t i = ic + ip * MR;
            kt.micro(kc, packed_a + ip * MR * kc, panel_b, c + i * ldc + j, ldc, std::min(MR, M - i),
                     std::min(NR, N - j), s);
          }
        }
      }
    }
  }
}

// Threads own disjoint blocks of C (whole MR/NR tiles, so edge tiles are the
// same as with one thread) and run blocked_serial on them independently; K is
// never split, so every element sees the same operations for any thread count.
void run_blocked(const GemmKernels& kt, std::size_t M, std::size_t N, std::size_t K, const GemmOperand& A,
                 const GemmOperand& B, float* c, std::size_t ldc, const GemmTileStore& st) {
  const std::size_t MR = kt.mr, NR = kt.nr;
  const std::size_t work = M * N * K;
  std::size_t threads = static_cast<std::size_t>(num_threads());
  threads = std::max<std::size_t>(1, std::min(threads, work / kFlopsPerThread));
  const std::size_t m_panels = (M + MR - 1) / MR;
  const std::size_t n_panels = (N + NR - 1) / NR;
  // Split along N (each thread packs only its part of B, and A is small to
  // re-pack) unless there are too few column panels to go round.
  const bool split_n = n_panels >= 4 * threads || n_panels >= m_panels;
  const std::size_t panels = split_n ? n_panels : m_panels;
  threads = std::min(threads, panels);
  if (threads <= 1) {
    blocked_serial(kt, M, N, K, A, B, c, ldc, st);
    return;
  }
  auto share = [&](std::size_t t) {
    const std::size_t p0 = panels * t / threads, p1 = panels * (t + 1) / threads;
    if (p0 == p1) return;
    if (split_n) {
      const std::size_t j0 = p0 * NR, j1 = std::min(N, p1 * NR);
      const GemmOperand b{B.data + j0 * B.col_stride, B.row_stride, B.col_stride};
      GemmTileStore s = st;
      if (s.bias) s.bias += j0;
      blocked_serial(kt, M, j1 - j0, K, A, b, c + j0, ldc, s);
    } else {
      const std::size_t i0 = p0 * MR, i1 = std::min(M, p1 * MR);
      const GemmOperand a{A.data + i0 * A.row_stride, A.row_stride, A.col_stride};
      blocked_serial(kt, i1 - i0, N, K, a, B, c + i0 * ldc, ldc, st);
    }
  };
#if defined(GW_HAVE_OPENMP)
  // An exception (a failed scratch allocation) must not escape the parallel
  // region: keep the first and rethrow it on the calling thread.
  const int team = static_cast<int>(threads);
  std::exception_ptr failure;
#pragma omp parallel for schedule(static, 1) num_threads(team)
  for (int t = 0; t < team; ++t) {
    try {
      share(static_cast<std::size_t>(t));
    } catch (...) {
#pragma omp critical(gw_gemm_failure)
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
#else
  for (std::size_t t = 0; t < threads; ++t) share(t);
#endif
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
  const std::size_t rows_per_chunk = std::max<std::size_t>(4, (kFlopsPerThread / std::max<std::size_t>(1, N * K)) / 4 * 4);
  parallel_chunks(M, rows_per_chunk, [&](std::size_t r0, std::size_t r1) {
    const GemmOperand a{A.data + r0 * A.row_stride, A.row_stride, 1};
    kt.narrow(r1 - r0, N, K, a, bt, ldbt, c + r0 * ldc, ldc, st);
  });
}

void run_gemm(std::size_t M, std::size_t N, std::size_t K, const GemmOperand& A, const GemmOperand& B, float* c,
              std::size_t ldc, const GemmTileStore& st) {
  if (M == 0 || N == 0) return;
  if (K == 0 || st.alpha == 0.0f) {
    scale_only(M, N, c, ldc, st);
    return;
  }
  const GemmKernels& kt = gemm_kernels();
  if (kt.mr == 0 || M * N * K <= kSmallFlops) {
    run_small(kt, M, N, K, A, B, c, ldc, st);
  } else if (kt.narrow && N <= static_cast<std::size_t>(kt.narrow_max_n) && A.col_stride == 1 && K >= 16) {
    run_narrow(kt, M, N, K, A, B, c, ldc, st);
  } else {
    run_blocked(kt, M, N, K, A, B, c, ldc, st);
  }
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
