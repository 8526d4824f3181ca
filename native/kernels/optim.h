// optim: fused optimizer steps (one pass per parameter buffer), gradient
// clipping and the non-finite guard. Kernel table (one per ISA) and the
// driver API used by the binding.
//
// Every step follows torch.optim's single-tensor implementation: scalars that
// torch computes in Python (bias corrections, decayed learning rates) are
// computed here in double and rounded to float once; the per-element math is
// float32 in torch's order of operations.
#pragma once
#include "kernels/kinds.inc"
#include <cstddef>
#include <cstdint>
#include <string>

namespace gw {

// The kinds of optim_step (kernels/kinds.inc).
enum class OptimKind : int { GW_OPTIMIZER_KINDS(GW_KIND_ENUM) };
constexpr int kOptimKindCount = 0 GW_OPTIMIZER_KINDS(GW_KIND_COUNT);

// When a state buffer is needed (the s1, s2, s3 columns of GW_OPTIMIZER_KINDS).
enum class StateRule : int { kAlways, kNever, kIfA, kIfBPositive, kIfC };
const char* state_rule_name(StateRule r);  // "always", "never", "a != 0", "b > 0", "c != 0"

// One row of GW_OPTIMIZER_KINDS: the name, what hp slots a, b, c hold ("" = unused), the state rules.
struct OptimKindInfo {
  const char* name;
  const char* hyper[3];
  StateRule states[3];
};
const OptimKindInfo& optim_kind_info(OptimKind kind);
const char* optim_kind_names();  // "sgd, adagrad, ..." for error messages

// Parses "sgd", "adagrad", ...; false for an unknown name.
bool parse_optim_kind(const std::string& name, OptimKind* out);

// The hyper-parameter vector hp = [lr, t, weight_decay, l1, a, b, eps, c] (see native/OPS.md).
struct OptimHyper {
  double lr, t, weight_decay, l1, a, b, eps, c;
};
OptimHyper read_optim_hyper(const double* hp);

// Which state buffers a step of `kind` with these hyper-parameters reads and writes.
struct OptimStateNeeds {
  bool s1, s2, s3;
};
OptimStateNeeds optim_state_needs(OptimKind kind, const OptimHyper& h);

// Returns "" when the hyper-parameters are valid for `kind`, else a message in
// torch's words ("Invalid learning rate: -1").
std::string validate_optim_hyper(OptimKind kind, const OptimHyper& h);

// Everything one step kernel needs: buffers plus float coefficients derived
// once per step by the driver (prepare_optim_step).
struct OptimStepArgs {
  float* param;
  const float* grad;
  float* s1;
  float* s2;
  float* s3;
  float lr;            // sgd/rmsprop/adadelta: lr; adagrad: lr/(1+(t-1)*lr_decay); adam*: lr/(1-b1^t)
  float weight_decay;  // coupled L2 added to the gradient (0 for adamw)
  float l1;            // l1*sign(p) added to the gradient
  float param_scale;   // adamw: 1 - lr*weight_decay, applied to p first; else 1
  float a;             // sgd: momentum; rmsprop: alpha; adam*/adamax: beta1; adadelta: rho
  float one_minus_a;   // 1 - a (sgd: 1 - dampening)
  float b;             // rmsprop: momentum; adam*/adamax: beta2; adagrad: initial accumulator
  float one_minus_b;   // 1 - b
  float eps;
  float bias_correction2_sqrt;  // adam*: sqrt(1 - b2^t)
  bool first_step;     // t == 1: state buffers are fresh (their contents are ignored)
  bool flag;           // sgd: nesterov; rmsprop: centered; adam*: amsgrad
  bool has_momentum;   // sgd: momentum != 0; rmsprop: momentum > 0
};
OptimStepArgs prepare_optim_step(OptimKind kind, const OptimHyper& h);

// One kernel updates elements [begin, end) and returns true when any gradient
// element there was NaN or infinite (found in the same pass).
using OptimStepKernel = bool (*)(const OptimStepArgs& args, std::size_t begin, std::size_t end);

// Single-threaded kernels of one ISA; the drivers in optim.cpp own the thread loop.
struct OptimKernels {
  const char* isa;
  OptimStepKernel sgd;
  OptimStepKernel adagrad;
  OptimStepKernel rmsprop;
  OptimStepKernel adam;  // adam and adamw (param_scale != 1)
  OptimStepKernel adamax;
  OptimStepKernel adadelta;
  double (*sum_squares)(const float* x, std::size_t n);  // accumulated in double
  void (*scale)(float* x, std::size_t n, float s);
  void (*clamp)(float* x, std::size_t n, float lo, float hi);
  bool (*has_nonfinite)(const float* x, std::size_t n);
};

const OptimKernels& optim_kernels_scalar();
const OptimKernels* optim_kernels_sse2();    // nullptr: no specialisation
const OptimKernels* optim_kernels_avx2();
const OptimKernels* optim_kernels_avx512();
const OptimKernels* optim_kernels_neon();
const OptimKernels& optim_kernels();         // the active ISA's table

// Drivers (threaded over fixed chunks). Arguments are validated by the binding.
// Returns true when any gradient element was non-finite.
bool optim_step(OptimKind kind, const OptimHyper& h, float* param, const float* grad, float* s1, float* s2, float* s3,
                std::size_t n);

// One parameter buffer of a multi-tensor step, with its own hyper-parameters
// (layers differ in their L1/L2 terms).
struct OptimTensor {
  float* param;
  const float* grad;
  float* s1;
  float* s2;
  float* s3;
  std::size_t n;
  OptimHyper h;
};
// optim_step over every tensor in one parallel region: the same per-tensor
// chunks as optim_step (so bit-identical results), dealt to the threads by a
// fixed split of the element count. Returns true when any gradient element
// of any tensor was non-finite.
bool optim_step_multi(OptimKind kind, const OptimTensor* tensors, std::size_t count);

struct F32Span {
  float* data;
  std::size_t size;
};
// Sum of squares of one buffer; per-chunk partials in double combined in chunk order.
double sum_squares(const float* x, std::size_t n);
// Global 2-norm over all buffers; scales them by min(1, max_norm/(norm + 1e-6)); returns the norm.
double clip_grad_norm(const F32Span* grads, std::size_t count, double max_norm);
void clip_grad_value(const F32Span* grads, std::size_t count, float clip_value);
bool has_nonfinite(const float* x, std::size_t n);

}  // namespace gw
