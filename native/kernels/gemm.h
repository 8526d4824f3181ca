// gemm: kernel table (one per ISA) and the driver API used by the binding.
//
// BLIS-style structure: the driver (gemm.cpp) walks cache blocks NC x KC x MC,
// packs B into KC x NR micro-panels and A into MR x KC micro-panels, and calls
// the ISA's register-blocked micro-kernel on each MR x NR tile of C. Threads
// split the tiles of C (M/N), never K, so every element of C is computed by the
// same sequence of operations whatever the thread count.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gw {

// A matrix operand as the driver sees it: element (r, c) of op(X) lives at
// data[r * row_stride + c * col_stride] (a transpose just swaps the strides).
struct GemmOperand {
  const float* data;
  std::size_t row_stride;
  std::size_t col_stride;
};

// What happens to a finished tile of C:
//   C = alpha * acc + beta * C (beta == 0: C is not read), then + bias[col], then relu,
//   then (mask) C = mask > 0 ? C : 0, ReLU's backward with mask the forward's output.
// The driver passes beta = 1 and no bias/relu/mask for every K block but the first/last.
// The micro-kernels do alpha..relu; the driver applies the mask to each tile
// right after its store, while it is in L1.
struct GemmTileStore {
  float alpha;
  float beta;
  const float* bias;  // indexed by the tile's first column; nullptr: none
  bool relu;
  const float* mask = nullptr;  // same rows/columns as C, row stride ldm; nullptr: none
  std::size_t ldm = 0;
};

// Single-threaded kernels of one ISA; the driver in gemm.cpp owns the thread loop.
struct GemmKernels {
  const char* isa;
  // Register tile and cache blocks. mr/nr == 0 means "no micro-kernel": the
  // driver uses the plain reference loop (the scalar table).
  int mr, nr;
  int mc, kc, nc;
  // Packs rows [0, m) x cols [0, k) of `a` (m <= mr) into an mr x k micro-panel,
  // k-major (dst[p * mr + i]), zero-padding rows m..mr-1.
  void (*pack_a)(const GemmOperand& a, std::size_t m, std::size_t k, float* dst);
  // Packs rows [0, k) x cols [0, n) of `b` (n <= nr) into a k x nr micro-panel
  // (dst[p * nr + j]), zero-padding columns n..nr-1.
  void (*pack_b)(const GemmOperand& b, std::size_t k, std::size_t n, float* dst);
  // Full mr x nr tile: acc = sum_p a[p*mr + i] * b[p*nr + j], then stored into
  // c (row stride ldc) as described by GemmTileStore, for rows < m and cols < n.
  void (*micro)(std::size_t k, const float* a, const float* b, float* c, std::size_t ldc, std::size_t m,
                std::size_t n, const GemmTileStore& store);
  // Narrow outputs (optional, may be nullptr): n <= narrow_max_n and op(A)'s
  // rows contiguous (col_stride 1). Dot-product form along K on rows
  // [0, m): c[i, j] = store(sum_p a(i, p) * bt[j * ldbt + p]), where bt is
  // op(B) transposed (n rows of k), so no lane is wasted on a 10-wide output.
  int narrow_max_n;
  void (*narrow)(std::size_t m, std::size_t n, std::size_t k, const GemmOperand& a, const float* bt,
                 std::size_t ldbt, float* c, std::size_t ldc, const GemmTileStore& store);
  // Small problems: no packing at all. C[m x n] = store(op(A) * op(B)).
  void (*small)(std::size_t m, std::size_t n, std::size_t k, const GemmOperand& a, const GemmOperand& b, float* c,
                std::size_t ldc, const GemmTileStore& store);
};

const GemmKernels& gemm_kernels_scalar();
const GemmKernels* gemm_kernels_sse2();    // nullptr: no specialisation
const GemmKernels* gemm_kernels_avx2();
const GemmKernels* gemm_kernels_avx512();
const GemmKernels* gemm_kernels_neon();
const GemmKernels& gemm_kernels();         // the active ISA's table

// C[M,N] = alpha * op(A) * op(B) + beta * C. A is [M,K] (lda >= K), or [K,M]
// (lda >= M) when trans_a; B is [K,N] (ldb >= N) or [N,K] (ldb >= K) when
// trans_b. beta == 0 ignores C's contents. Arguments are validated by the binding.
void sgemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha, const float* a,
           std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc);

// y[rows,out] = act(x[rows,in] * w[in,out] + bias); relu fused into the tile store.
void linear_forward(const float* x, const float* w, const float* bias, float* y, std::size_t rows,
                    std::size_t in_features, std::size_t out_features, bool relu);

// Rows of a uint8 table picked by an index and scaled: row r, column c is
// float(src[index[r] * cols + c]) * scale, exactly what gather_rows_u8 writes.
struct GatheredU8 {
  const std::uint8_t* src;
  const std::int32_t* index;
  std::size_t cols;
  float scale;
};

// linear_forward on x = the gathered rows [rows, in_features] (x.cols == in_features). x is never
// written out whole: each thread converts the rows its share of the GEMM reads into its own
// buffer, so no thread reads input rows another core wrote. Same bits as gather_rows_u8 then
// linear_forward.
void linear_forward_gathered(const GatheredU8& x, const float* w, const float* bias, float* y, std::size_t rows,
                             std::size_t in_features, std::size_t out_features, bool relu);

// weight_grad for x the gathered rows [rows, in]. Same bits as gather_rows_u8 then weight_grad.
void weight_grad_gathered(const GatheredU8& x, const float* g, float* dw, float* db, std::size_t rows,
                          std::size_t in_features, std::size_t out_features);

// A dense layer's weight gradient dw[in, out] = x^T g (x [rows, in], g [rows, out];
// overwrites dw) and, when db is not null, its bias gradient db[c] = sum_r g[r, c]
// (the bits of bias_grad), summed from the packed panels of g inside the GEMM.
void weight_grad(const float* x, const float* g, float* dw, float* db, std::size_t rows, std::size_t in_features,
                 std::size_t out_features);

// A dense layer's input gradient dx[rows, in] = g W^T (g [rows, out], w [in, out]), and
// when mask is not null ReLU's backward fused into the store: dx = mask > 0 ? dx : 0 with
// mask [rows, in] the ReLU's forward output (the bits of the GEMM then activation_backward relu).
void input_grad(const float* g, const float* w, float* dx, const float* mask, std::size_t rows,
                std::size_t in_features, std::size_t out_features);

// db[c] = sum_r dy[r, c] (overwrites).
void bias_grad(const float* dy, float* db, std::size_t rows, std::size_t cols);

}  // namespace gw
