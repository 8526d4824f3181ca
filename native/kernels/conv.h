// conv: 2-D convolution and pooling over NCHW maps; kernel table (one per ISA)
// and the driver API used by the binding.
//
// Layout and semantics are PyTorch's: activations NCHW, weight
// [K, C/groups, kh, kw] (OIHW), bias [K]; zero padding for convolution and
// average pooling, -inf padding for max pooling, floor output sizes:
//   OH = (H + 2*ph - dh*(kh-1) - 1) / sh + 1   (pooling: dh = 1).
// Output (oh, ow) of a convolution reads input (oh*sh - ph + i*dh, ow*sw - pw + j*dw).
//
// Threads (core/threads.h, parallel_chunks) split samples (forward, backward
// data) or planes (pooling); the filter gradient sums per-chunk partial
// gradients over fixed chunks of samples (the chunk size depends on N only)
// and adds them in chunk order, so every result is bit-identical for any
// thread count.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gw {

struct ConvShape {
  std::size_t N, C, H, W;  // input
  std::size_t K;           // output channels
  std::size_t kh, kw, sh, sw, ph, pw, dh, dw, groups;
  std::size_t OH, OW;      // output (derived by conv_output_size)
  std::size_t cg() const { return C / groups; }   // input channels per group
  std::size_t kg() const { return K / groups; }   // output channels per group
  std::size_t ckk() const { return cg() * kh * kw; }  // one output channel's weights
};

struct PoolShape {
  std::size_t N, C, H, W;
  std::size_t kh, kw, sh, sw, ph, pw;
  std::size_t OH, OW;
};

// floor((in + 2*pad - dil*(k-1) - 1) / stride) + 1; 0 when the (dilated) kernel exceeds the padded input.
inline std::size_t conv_output_size(std::size_t in, std::size_t k, std::size_t stride, std::size_t pad,
                                    std::size_t dil) {
  const std::size_t span = dil * (k - 1) + 1;
  if (in + 2 * pad < span) return 0;
  return (in + 2 * pad - span) / stride + 1;
}

// Single-threaded kernels of one ISA; the drivers in conv.cpp own the thread loop.
struct ConvKernels {
  const char* isa;
  // y[n] (n in [n0, n1)) = act(conv(x[n], w) + bias); bias may be nullptr; relu fused when `relu`.
  void (*forward)(const float* x, const float* w, const float* bias, float* y, const ConvShape& s, std::size_t n0,
                  std::size_t n1, bool relu);
  // dx[n] = conv_transpose(dy[n], w) for n in [n0, n1) (overwrites).
  void (*backward_data)(const float* dy, const float* w, float* dx, const ConvShape& s, std::size_t n0,
                        std::size_t n1);
  // dw = sum_{n in [n0, n1)} dy[n] (x) x[n] correlation, [K, C/g, kh, kw] (overwrites).
  void (*backward_filter)(const float* x, const float* dy, float* dw, const ConvShape& s, std::size_t n0,
                          std::size_t n1);
  // Pooling over planes [p0, p1) of N*C planes (x plane p at x + p*H*W, y plane at y + p*OH*OW).
  // argmax: the plane-local index ih*W + iw of each window's maximum (the first; a NaN wins, as torch).
  void (*maxpool_forward)(const float* x, float* y, std::int32_t* argmax, const PoolShape& s, std::size_t p0,
                          std::size_t p1);
  // dx = 0, then dx[argmax] += dy (indices checked by the driver).
  void (*maxpool_backward)(const float* dy, const std::int32_t* argmax, float* dx, const PoolShape& s,
                           std::size_t p0, std::size_t p1);
  void (*avgpool_forward)(const float* x, float* y, const PoolShape& s, std::size_t p0, std::size_t p1,
                          bool count_include_pad);
  void (*avgpool_backward)(const float* dy, float* dx, const PoolShape& s, std::size_t p0, std::size_t p1,
                           bool count_include_pad);
};

const ConvKernels& conv_kernels_scalar();
const ConvKernels* conv_kernels_sse2();
const ConvKernels* conv_kernels_avx2();
const ConvKernels* conv_kernels_avx512();
const ConvKernels* conv_kernels_neon();
const ConvKernels& conv_kernels();  // the active ISA's table

// Drivers (threaded, deterministic). Arguments are validated by the binding.
void conv2d_forward(const float* x, const float* w, const float* bias, float* y, const ConvShape& s, bool relu);
void conv2d_backward_data(const float* dy, const float* w, float* dx, const ConvShape& s);
// dw (required) and db (optional: nullptr) overwrite.
void conv2d_backward_filter(const float* x, const float* dy, float* dw, float* db, const ConvShape& s);
void maxpool2d_forward(const float* x, float* y, std::int32_t* argmax, const PoolShape& s);
// Throws std::range_error when an argmax entry is outside its window's plane.
void maxpool2d_backward(const float* dy, const std::int32_t* argmax, float* dx, const PoolShape& s);
void avgpool2d_forward(const float* x, float* y, const PoolShape& s, bool count_include_pad);
void avgpool2d_backward(const float* dy, float* dx, const PoolShape& s, bool count_include_pad);
// y[n, c] = mean over H*W of x[n, c]; dx[n, c, :] = dy[n, c] / (H*W).
void global_avgpool2d_forward(const float* x, float* y, std::size_t planes, std::size_t hw);
void global_avgpool2d_backward(const float* dy, float* dx, std::size_t planes, std::size_t hw);

// Stochastic pooling (Zeiler & Fergus, "Stochastic pooling for regularization of deep
// convolutional neural networks", ICLR 2013) over the same windows as max pooling (zero
// padding, which has probability 0). Each window's probabilities are p_i = a_i / sum_j a_j with
// a = max(x, 0) (the paper pools ReLU outputs). Training samples one element per window: u is
// Philox4x32-10 (kernels/dropout.h) word 0 for counter (o, step) and key (seed, stream), o the
// output's flat index, as u = (word >> 8) * 2^-24; the chosen element is the first whose running
// sum of a (in double) exceeds u * sum. So the choice is a pure function of (seed, stream, step,
// o): identical for any thread count and ISA. y = x[chosen]; a window without a positive element
// gives y = 0 and choice -1 (no gradient). Inference: y = sum_i p_i a_i = sum a^2 / sum a (0 if
// the sum is 0). Plain loops (no SIMD table): the sampling is sequential per window.
struct StochasticKey {
  std::uint32_t seed, stream;
  std::uint64_t step;
};
void stochpool2d_forward_train(const float* x, float* y, std::int32_t* choice, const PoolShape& s,
                               const StochasticKey& key);
void stochpool2d_forward_eval(const float* x, float* y, const PoolShape& s);
// dx = 0, then dx[choice] += dy where choice >= 0 (entries checked: -1 or inside the plane).
void stochpool2d_backward_train(const float* dy, const std::int32_t* choice, float* dx, const PoolShape& s);
// dx = dy * d(sum a^2 / sum a)/dx = dy * (2 a_i S1 - S2) / S1^2 for x_i > 0, else 0 (accumulated over windows).
void stochpool2d_backward_eval(const float* x, const float* dy, float* dx, const PoolShape& s);

// The scalar reference kernels (the scalar table's entries); the SIMD tables use the pooling ones
// where they have no specialisation.
namespace conv_ref {
void forward(const float* x, const float* w, const float* bias, float* y, const ConvShape& s, std::size_t n0,
             std::size_t n1, bool relu);
void backward_data(const float* dy, const float* w, float* dx, const ConvShape& s, std::size_t n0, std::size_t n1);
void backward_filter(const float* x, const float* dy, float* dw, const ConvShape& s, std::size_t n0, std::size_t n1);
void maxpool_forward(const float* x, float* y, std::int32_t* argmax, const PoolShape& s, std::size_t p0,
                     std::size_t p1);
void maxpool_backward(const float* dy, const std::int32_t* argmax, float* dx, const PoolShape& s, std::size_t p0,
                      std::size_t p1);
void avgpool_forward(const float* x, float* y, const PoolShape& s, std::size_t p0, std::size_t p1,
                     bool count_include_pad);
void avgpool_backward(const float* dy, float* dx, const PoolShape& s, std::size_t p0, std::size_t p1,
                      bool count_include_pad);
}  // namespace conv_ref

}  // namespace gw
