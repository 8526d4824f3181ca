// The blocked GEMM driver's two halves, shared by gemm.cpp and the masked GEMM
// of dropconnect.cpp: the serial BLIS loop nest (jc over N by NC, pc over K by
// KC, ic over M by MC, then MR x NR micro-tiles) and the thread split over
// whole tiles of C. Only how op(B) is packed differs between the callers.
#pragma once
#include <algorithm>
#include <cstddef>

#include "core/scratch.h"
#include "core/threads.h"
#include "kernels/gemm.h"

namespace gw {

// Below this many multiply-adds per thread, more threads do not pay off.
constexpr std::size_t kGemmFlopsPerThread = 64 * 64 * 64;

inline std::size_t gemm_round_up(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }

// ReLU's backward on a stored tile (or any block) of C: c = mask > 0 ? c : 0 (a
// NaN mask gives 0, as activation_backward relu's select does).
inline void gemm_mask_tile(float* c, std::size_t ldc, std::size_t m, std::size_t n, const float* mask, std::size_t ldm) {
  for (std::size_t i = 0; i < m; ++i) {
    float* cr = c + i * ldc;
    const float* mr = mask + i * ldm;
    for (std::size_t j = 0; j < n; ++j) cr[j] = mr[j] > 0.0f ? cr[j] : 0.0f;
  }
}

// One thread's share: C[M, N] += op(A)[M, K] op(B)[K, N] (with st), single-threaded,
// its own packed buffers (no barriers). pack_b(pc, kc, j, n, dst) packs rows
// [pc, pc+kc) x columns [j, j+n) of op(B) (columns local to this share) into
// ceil(n/NR) NR-wide micro-panels (panel q at dst + q*NR*kc), zero-padding the last.
// fuse_b: pack each micro-panel right before its run of tiles, into a buffer
// that stays in L1 (worth it with a single M block), instead of the whole KC x NC block.
template <class PackB>
void gemm_blocked_serial(const GemmKernels& kt, std::size_t M, std::size_t N, std::size_t K, const GemmOperand& A,
                         PackB&& pack_b, bool fuse_b, float* c, std::size_t ldc, const GemmTileStore& st) {
  const std::size_t MR = kt.mr, NR = kt.nr;
  const std::size_t MC = kt.mc, KC = kt.kc, NC = kt.nc;
  static thread_local Scratch packed_a_buf, packed_b_buf;
  float* packed_a = packed_a_buf.get(gemm_round_up(std::min(MC, M), MR) * std::min(KC, K));
  float* packed_b = packed_b_buf.get((fuse_b ? NR : gemm_round_up(std::min(NC, N), NR)) * std::min(KC, K));

  for (std::size_t jc = 0; jc < N; jc += NC) {
    const std::size_t nc = std::min(NC, N - jc);
    const std::size_t n_panels = (nc + NR - 1) / NR;
    for (std::size_t pc = 0; pc < K; pc += KC) {
      const std::size_t kc = std::min(KC, K - pc);
      GemmTileStore tile_store = st;
      if (pc != 0) tile_store.beta = 1.0f;  // later K blocks accumulate into C
      if (pc + kc != K) {                   // bias, relu and mask once, after the last K block
        tile_store.bias = nullptr;
        tile_store.relu = false;
        tile_store.mask = nullptr;
      }
      if (!fuse_b) pack_b(pc, kc, jc, nc, packed_b);
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
            pack_b(pc, kc, j, std::min(NR, N - j), packed_b);
            panel_b = packed_b;
          }
          GemmTileStore s = tile_store;
          if (s.bias) s.bias += j;
          for (std::size_t ip = 0; ip < m_panels; ++ip) {
            const std::size_t i = ic + ip * MR;
            const std::size_t tm = std::min(MR, M - i), tn = std::min(NR, N - j);
            kt.micro(kc, packed_a + ip * MR * kc, panel_b, c + i * ldc + j, ldc, tm, tn, s);
            if (s.mask) gemm_mask_tile(c + i * ldc + j, ldc, tm, tn, s.mask + i * s.ldm + j, s.ldm);
          }
        }
      }
    }
  }
}

// The thread split: threads own disjoint blocks of whole MR/NR tiles of C (so
// edge tiles are the same as with one thread) and each runs
// serial(i0, i1, j0, j1) on rows [i0, i1) x columns [j0, j1) independently; K
// is never split, so every element sees the same operations for any thread
// count. The split is along N (each thread packs only its part of B) when
// there are at least n_factor column panels per thread or more column panels
// than row panels, else along M; and along M when op(A) spans several MC
// blocks and has more rows than op(B) has columns: each N share re-packs all
// of op(A), each M share all of op(B), so re-pack the smaller one (a thread's
// share took 3-4% less time for 1000 x 784 x 256 inference and the 784 x 256
// x 128 weight gradient).
template <class Serial>
void gemm_blocked_split(const GemmKernels& kt, std::size_t M, std::size_t N, std::size_t K, std::size_t n_factor,
                        Serial&& serial) {
  const std::size_t MR = kt.mr, NR = kt.nr;
  std::size_t threads = static_cast<std::size_t>(num_threads());
  threads = std::max<std::size_t>(1, std::min(threads, M * N * K / kGemmFlopsPerThread));
  const std::size_t m_panels = (M + MR - 1) / MR;
  const std::size_t n_panels = (N + NR - 1) / NR;
  const bool a_larger = M > static_cast<std::size_t>(kt.mc) && M > N;
  const bool split_n = (n_panels >= n_factor * threads && !a_larger) || n_panels >= m_panels;
  const std::size_t panels = split_n ? n_panels : m_panels;
  threads = std::min(threads, panels);
  if (threads <= 1) {
    serial(std::size_t{0}, M, std::size_t{0}, N);
    return;
  }
  parallel_team(threads, [&](std::size_t t) {
    const std::size_t p0 = panels * t / threads, p1 = panels * (t + 1) / threads;
    if (p0 == p1) return;
    if (split_n) {
      serial(std::size_t{0}, M, p0 * NR, std::min(N, p1 * NR));
    } else {
      serial(p0 * MR, std::min(M, p1 * MR), std::size_t{0}, N);
    }
  });
}

}  // namespace gw
