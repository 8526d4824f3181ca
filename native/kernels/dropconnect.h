// dropconnect: kernel table (one per ISA) and the driver API used by the binding.
//
// DropConnect (Wan et al., "Regularization of neural networks using
// DropConnect", ICML 2013): in training each weight of a dense layer is
// dropped with probability p. The mask is inverted (kept weights are scaled by
// 1/(1-p)), so the expected masked weight is W itself and inference uses W
// unchanged (the paper's "mean" inference approximation; its Gaussian
// moment-matching inference is not implemented).
//
// The keep bit of weight (i, j) of W[in, out] is dropout's keep bit of element
// f = i*out + j (native/kernels/dropout.h: Philox4x32-10, key (seed, stream),
// counter (block, step), tiles of 64 elements): a pure function of
// (seed, stream, step, f), so masks are identical for every ISA and thread
// count, and dropout_apply over W gives exactly the masked weights.
//
// The forward GEMM never materialises M∘W: the driver (dropconnect.cpp) packs
// each KC x NC block of op(B) = M∘W for the gemm micro-kernel, generating the
// mask of every weight row segment of the block on the fly (whole Philox
// tiles, so only the ends of a segment waste words). Small problems, narrow
// outputs, the scalar table (no micro-kernel) and the input gradient (a fused
// pack of (M∘W)^T measured 2-16% slower than the copy) mask a per-thread copy
// of W instead (mask_range, the same mask) and call the plain gemm drivers.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dropout.h"

namespace gw {

// out[f - f0] = keep(f) ? w[f] * scale : 0 for f in [f0, f1); f0 is arbitrary
// (no tile alignment needed); w points at element 0 of the whole weight tensor.
using DropConnectMaskRangeFn = void (*)(const float* w, float* out, std::size_t f0, std::size_t f1,
                                        const DropoutParams& p);

// Single-threaded kernels of one ISA; the drivers own the thread loop.
struct DropConnectKernels {
  const char* isa;
  DropConnectMaskRangeFn mask_range;
};

const DropConnectKernels& dropconnect_kernels_scalar();
const DropConnectKernels* dropconnect_kernels_sse2();
const DropConnectKernels* dropconnect_kernels_avx2();
const DropConnectKernels* dropconnect_kernels_avx512();
const DropConnectKernels* dropconnect_kernels_neon();
const DropConnectKernels& dropconnect_kernels();  // the active ISA's table

// y[rows,out] = act(x[rows,in] * (M∘W)/(1-p) + bias), act = none or relu.
// p = 0 (threshold 0) is linear_forward. Threaded; deterministic for any thread count.
void dropconnect_forward(const float* x, const float* w, const float* bias, float* y, std::size_t rows,
                         std::size_t in_features, std::size_t out_features, bool relu, const DropoutParams& p);

// dx[rows,in] = dy[rows,out] * ((M∘W)/(1-p))^T.
void dropconnect_backward_input(const float* dy, const float* w, float* dx, std::size_t rows, std::size_t in_features,
                                std::size_t out_features, const DropoutParams& p);

// dw[in,out] = M∘(x^T dy)/(1-p) (overwrites).
void dropconnect_backward_weight(const float* x, const float* dy, float* dw, std::size_t rows, std::size_t in_features,
                                 std::size_t out_features, const DropoutParams& p);

}  // namespace gw
