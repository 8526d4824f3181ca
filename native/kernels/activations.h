// activations: kernel table (one per ISA) and the driver API used by the binding.
//
// Elementwise kernels take a contiguous range; row kernels (softmax family)
// take whole rows. The drivers in activations.cpp split work into fixed chunks
// and run them on threads; a kernel never opens a parallel region itself.
#pragma once
#include "kernels/kinds.inc"
#include <cstddef>
#include <cstdint>

namespace gw {

// The order is the index into the kernel tables.
// kGelu is exact: 0.5*x*(1+erf(x/sqrt(2))); kGeluTanh: 0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3)));
// kSoftplus: log(1+exp(x)), x when x > 20 (PyTorch's threshold). The list: kernels/kinds.inc.
enum class ActKind : int { GW_ACTIVATION_KINDS(GW_KIND_ENUM) };
constexpr int kActKindCount = 0 GW_ACTIVATION_KINDS(GW_KIND_COUNT);

// Parses "sigmoid", "tanh", ... ; false for an unknown name.
bool parse_act_kind(const char* name, ActKind* out);
const char* act_kind_names();  // "sigmoid tanh relu ..." for error messages

// SELU constants (PyTorch).
constexpr float kSeluAlpha = 1.6732632423543772f;
constexpr float kSeluScale = 1.0507009873554805f;
// Softplus returns x above this (PyTorch's default threshold, beta = 1).
constexpr float kSoftplusThreshold = 20.0f;

// y[i] = f(x[i]) for i in [0, n); alpha: leaky_relu slope / elu alpha (others ignore it).
using ActForwardFn = void (*)(const float* x, float* y, std::size_t n, float alpha);
// dx[i] = dy[i] * f'(x[i]); x is the forward input, y the forward output.
using ActBackwardFn = void (*)(const float* x, const float* y, const float* dy, float* dx, std::size_t n, float alpha);
// Row kernels over `rows` rows of `cols` floats.
using RowsForwardFn = void (*)(const float* x, float* y, std::size_t rows, std::size_t cols);
using RowsBackwardFn = void (*)(const float* y, const float* dy, float* dx, std::size_t rows, std::size_t cols);
// The backward kernel on columns [c0, c1) of every row of a [rows, cols] matrix (x, y, dy, dx point
// at its element 0), and db[c] = sum over rows in order of dx[r, c] for those columns (from 0).
using ActBackwardBiasFn = void (*)(const float* x, const float* y, const float* dy, float* dx, float* db,
                                   std::size_t rows, std::size_t cols, std::size_t c0, std::size_t c1, float alpha);

// Single-threaded kernels of one ISA; the drivers in activations.cpp own the thread loop.
struct ActivationKernels {
  const char* isa;
  ActForwardFn forward[kActKindCount];
  ActBackwardFn backward[kActKindCount];
  RowsForwardFn softmax_forward;
  RowsBackwardFn softmax_backward;
  RowsForwardFn log_softmax_forward;
  RowsBackwardFn log_softmax_backward;
  ActBackwardBiasFn backward_bias[kActKindCount];
};

// Table entry of one kind's backward_bias kernel (`{GW_ACTIVATION_KINDS(GW_BACKWARD_BIAS_ENTRY)}`).
#define GW_BACKWARD_BIAS_ENTRY(e, ...) backward_bias_kernel<ActKind::e>,
#define GW_FORWARD_ENTRY(e, ...) forward_kernel<ActKind::e>,
#define GW_BACKWARD_ENTRY(e, ...) backward_kernel<ActKind::e>,
// The initializer of an ActivationKernels table named `isa`, from the kernel templates (forward_kernel,
// backward_kernel, backward_bias_kernel) and row functions of the translation unit that expands it.
#define GW_ACTIVATION_TABLE_INIT(isa)                                                                         \
  isa, {GW_ACTIVATION_KINDS(GW_FORWARD_ENTRY)}, {GW_ACTIVATION_KINDS(GW_BACKWARD_ENTRY)}, softmax_forward_rows, \
      softmax_backward_rows, log_softmax_forward_rows, log_softmax_backward_rows,                              \
      {GW_ACTIVATION_KINDS(GW_BACKWARD_BIAS_ENTRY)}

const ActivationKernels& activation_kernels_scalar();
const ActivationKernels* activation_kernels_sse2();    // nullptr: no specialisation
const ActivationKernels* activation_kernels_avx2();
const ActivationKernels* activation_kernels_avx512();
const ActivationKernels* activation_kernels_neon();
const ActivationKernels& activation_kernels();         // the active ISA's table

// Drivers (threaded, deterministic for any thread count).
void activation_forward(ActKind kind, const float* x, float* y, std::size_t n, float alpha);
void activation_backward(ActKind kind, const float* x, const float* y, const float* dy, float* dx, std::size_t n,
                         float alpha);
// activation_backward over rows x cols and, in the same pass, db[c] = sum_r dx[r, c] (overwritten):
// dx equals activation_backward's and db bias_grad's of that dx, bit for bit (each column summed
// over rows in order, from 0).
void activation_backward_bias(ActKind kind, const float* x, const float* y, const float* dy, float* dx, float* db,
                              std::size_t rows, std::size_t cols, float alpha);
void softmax_forward(const float* x, float* y, std::size_t rows, std::size_t cols);
void softmax_backward(const float* y, const float* dy, float* dx, std::size_t rows, std::size_t cols);
void log_softmax_forward(const float* x, float* y, std::size_t rows, std::size_t cols);
void log_softmax_backward(const float* y, const float* dy, float* dx, std::size_t rows, std::size_t cols);

}  // namespace gw
