// Drivers for dropconnect: the masked GEMMs of a DropConnect dense layer.
//
// Forward: the blocked path is gemm_blocked_inl.h's BLIS loop nest, shared with
// gemm.cpp (jc over N by NC, pc over K by KC, ic over M by MC, MR x NR
// micro-tiles) with the ISA's gemm micro-kernel,
// except that each KC x NC block of op(B) is packed from W through the mask:
// every W row segment of the block is masked on the fly (dropconnect
// mask_range: whole Philox tiles, so a segment wastes at most the words of its
// two end tiles) into an L1 row buffer and scattered into the NR-wide
// micro-panels. No masked copy of W is made. Threads own disjoint whole MR/NR
// tiles of C and K is never split, so every element of C sees the same
// operations for any thread count (as in gemm.cpp).
//
// The input gradient (op(B) = W'^T: measured faster with a copy, see
// dropconnect_backward_input) and the forward where the gemm driver would not
// block (the scalar table, small problems, narrow outputs: N <= the ISA's
// narrow_max_n) mask a copy of W (mask_range over all of W, the same mask as
// dropout_apply) and call the plain gemm; there W is small next to the work,
// or (scalar) the path is the reference: the scalar mask kernel + the
// reference gemm loop.
#include "kernels/dropconnect.h"

#include <algorithm>
#include <cstring>

#include "core/isa.h"
#include "core/scratch.h"
#include "core/threads.h"
#include "kernels/gemm.h"
#include "kernels/gemm_blocked_inl.h"

namespace gw {

const DropConnectKernels& dropconnect_kernels() { return GW_PICK(dropconnect_kernels); }

namespace {

constexpr std::size_t kSmallFlops = 32 * 32 * 32;  // as gemm.cpp: no packing below this

// op(B) = M∘W scaled: element (k, n) of op(B) is weight (k, n) of W[K, N].
struct MaskedB {
  const float* w;
  std::size_t ldw;  // W's row length (out_features)
  const DropoutParams* params;
  DropConnectMaskRangeFn mask_range;
};

// Packs rows [pc, pc+kc) x cols [j0, j0+nc) of op(B), masked, into NR-wide
// micro-panels (panel q at dst + q*NR*kc, dst[p*NR + j]), zero-padding the last.
// Each row segment of the block (nc contiguous weights) is masked at once, so
// only the Philox tiles at its two ends are partly wasted; a single micro-panel
// row (NR weights) would use a quarter of each tile it generates.
void pack_b_block(const MaskedB& B, std::size_t NR, std::size_t pc, std::size_t kc, std::size_t j0, std::size_t nc,
                  float* dst, float* rowbuf) {
  const std::size_t panels = (nc + NR - 1) / NR;
  for (std::size_t p = 0; p < kc; ++p) {
    const std::size_t f0 = (pc + p) * B.ldw + j0;
    B.mask_range(B.w, rowbuf, f0, f0 + nc, *B.params);
    for (std::size_t q = 0; q < panels; ++q) {
      const std::size_t n = std::min(NR, nc - q * NR);
      float* d = dst + q * NR * kc + p * NR;
      std::memcpy(d, rowbuf + q * NR, n * sizeof(float));
      for (std::size_t j = n; j < NR; ++j) d[j] = 0.0f;
    }
  }
}

// Threads own disjoint blocks of whole MR/NR tiles of C (gemm_blocked_inl.h), each
// packing op(B) through the mask (pack_b_block, whole KC x NC blocks). The split is
// along N whenever there are as many column panels as threads: each thread then
// masks only its columns of B (a split along M would generate every mask word
// once per thread).
void run_blocked_masked(const GemmKernels& kt, std::size_t M, std::size_t N, std::size_t K, const GemmOperand& A,
                        const MaskedB& B, float* c, std::size_t ldc, const GemmTileStore& st) {
  gemm_blocked_split(kt, M, N, K, 1, [&](std::size_t i0, std::size_t i1, std::size_t j0, std::size_t j1) {
    static thread_local Scratch row_buf;
    float* rowbuf = row_buf.get(std::min<std::size_t>(kt.nc, j1 - j0));  // one masked row segment of a block
    const GemmOperand a{A.data + i0 * A.row_stride, A.row_stride, A.col_stride};
    GemmTileStore s = st;
    if (s.bias) s.bias += j0;
    auto pack_b = [&](std::size_t pc, std::size_t kc, std::size_t j, std::size_t nb, float* dst) {
      pack_b_block(B, static_cast<std::size_t>(kt.nr), pc, kc, j0 + j, nb, dst, rowbuf);
    };
    gemm_blocked_serial(kt, i1 - i0, j1 - j0, K, a, pack_b, false, c + i0 * ldc + j0, ldc, s);
  });
}

// Whether the masked GEMM C[M,N] (K deep) takes the fused blocked path.
bool fused(const GemmKernels& kt, std::size_t M, std::size_t N, std::size_t K) {
  if (kt.mr == 0 || M * N * K <= kSmallFlops) return false;
  if (kt.narrow && N <= static_cast<std::size_t>(kt.narrow_max_n) && K >= 16) return false;
  return true;
}

// out[f] = mask(f) * src[f] * scale over [0, n) with the active ISA's mask kernel
// (in place when out == src); fixed chunks, so any thread count gives the same bits.
void mask_all(const float* src, float* out, std::size_t n, const DropoutParams& p) {
  const DropConnectMaskRangeFn fn = dropconnect_kernels().mask_range;
  parallel_chunks(n, std::size_t{1} << 14, [&](std::size_t b, std::size_t e) { fn(src, out + b, b, e, p); });
}

// The masked copy of W[in, out] (where the gemm does not block), in a per-thread scratch.
const float* masked_copy(const float* w, std::size_t n, const DropoutParams& p) {
  static thread_local Scratch copy_buf;
  float* wm = copy_buf.get(n);
  mask_all(w, wm, n, p);
  return wm;
}

}  // namespace

void dropconnect_forward(const float* x, const float* w, const float* bias, float* y, std::size_t rows,
                         std::size_t in_features, std::size_t out_features, bool relu, const DropoutParams& p) {
  if (rows == 0 || out_features == 0) return;
  if (p.threshold == 0 || in_features == 0) {
    linear_forward(x, w, bias, y, rows, in_features, out_features, relu);
    return;
  }
  const GemmKernels& kt = gemm_kernels();
  if (!fused(kt, rows, out_features, in_features)) {
    linear_forward(x, masked_copy(w, in_features * out_features, p), bias, y, rows, in_features, out_features, relu);
    return;
  }
  const GemmOperand X{x, in_features, 1};
  const MaskedB B{w, out_features, &p, dropconnect_kernels().mask_range};
  run_blocked_masked(kt, rows, out_features, in_features, X, B, y, out_features, GemmTileStore{1.0f, 0.0f, bias, relu});
}

// The input gradient always masks a copy of W: packing op(B) = W'^T means a
// transpose of every masked row segment, and measured (bench/dropconnect.mjs,
// CPU time, 1 thread, AVX2) that fused pack was 2-16% slower than masking a
// copy of W and running the plain gemm, whose packing reads the copy.
void dropconnect_backward_input(const float* dy, const float* w, float* dx, std::size_t rows, std::size_t in_features,
                                std::size_t out_features, const DropoutParams& p) {
  if (rows == 0 || in_features == 0) return;
  const float* wm = p.threshold == 0 || out_features == 0 ? w : masked_copy(w, in_features * out_features, p);
  sgemm(false, true, rows, in_features, out_features, 1.0f, dy, out_features, wm, out_features, 0.0f, dx, in_features);
}

void dropconnect_backward_weight(const float* x, const float* dy, float* dw, std::size_t rows, std::size_t in_features,
                                 std::size_t out_features, const DropoutParams& p) {
  if (in_features == 0 || out_features == 0) return;
  sgemm(true, false, in_features, out_features, rows, 1.0f, x, in_features, dy, out_features, 0.0f, dw, out_features);
  mask_all(dw, dw, in_features * out_features, p);  // in place
}

}  // namespace gw
