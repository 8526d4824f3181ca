// losses: kernel table (one per ISA) and the driver API used by the binding.
// Mean reduction: over all elements for the elementwise losses, over the
// batch N for the cross-entropies (see native/OPS.md).
#pragma once
#include "kernels/kinds.inc"
#include <cstddef>
#include <cstdint>
#include <string>

namespace gw {

// Single-threaded kernels of one ISA; the drivers in losses.cpp own the thread loop.
struct LossKernels {
  const char* isa;
  // Elementwise losses over [0, n): return sum_i l(p[i], t[i]) (double); when d is
  // not null, write d[i] = scale * dl/dp[i].
  double (*mse)(const float* p, const float* t, std::size_t n, float scale, float* d);
  double (*mae)(const float* p, const float* t, std::size_t n, float scale, float* d);  // sign(0) = 0
  double (*huber)(const float* p, const float* t, std::size_t n, float delta, float scale, float* d);
  double (*bce)(const float* p, const float* t, std::size_t n, float scale, float* d);  // logs clamped at -100
  double (*bce_logits)(const float* z, const float* t, std::size_t n, float scale, float* d);
  // Row primitives of the fused log-softmax cross-entropy.
  float (*row_max)(const float* z, std::size_t n);
  double (*sum_exp)(const float* z, std::size_t n, float m);                  // sum exp(z - m)
  double (*sum_shifted)(const float* z, std::size_t n, float m);              // sum (z - m)
  double (*dot_shifted)(const float* q, const float* z, std::size_t n, float m);  // sum q * (z - m)
  // e[j] = exp(z[j] - m); returns sum e (the exponentials are then reused by softmax_grad).
  double (*exp_sum_store)(const float* z, std::size_t n, float m, float* e);
  // d[j] = (e[j] * inv_s - (q ? q[j] : 0) - q_uniform) * scale; e may alias d.
  void (*softmax_grad)(const float* e, const float* q, std::size_t n, float inv_s, float q_uniform, float scale,
                       float* d);
};

const LossKernels& loss_kernels_scalar();
const LossKernels* loss_kernels_sse2();    // nullptr: no specialisation
const LossKernels* loss_kernels_avx2();
const LossKernels* loss_kernels_avx512();
const LossKernels* loss_kernels_neon();
const LossKernels& loss_kernels();         // the active ISA's table

// The kinds of the `loss` op (kernels/kinds.inc); kCce is dense_cross_entropy, the others elementwise_loss.
enum class LossKind { GW_LOSS_KINDS(GW_KIND_ENUM) };
constexpr int kLossKindCount = 0 GW_LOSS_KINDS(GW_KIND_COUNT);
// Parses "mse", ...; false for an unknown name.
bool parse_loss_kind(const std::string& name, LossKind* out);
const char* loss_kind_names();  // "mse, mae, ..." for error messages

// Mean elementwise loss over n elements; dinput (nullable) = d(mean)/d(input).
// For kBce each chunk first checks that its probabilities and targets lie in
// [0, 1] (while they are cache-hot for the kernel); when one does not, the
// index of the first bad element (of input, or n + index of target) is stored
// in *first_bad (else SIZE_MAX), and the result and dinput are unspecified.
float elementwise_loss(LossKind kind, const float* input, const float* target, float* dinput, std::size_t n,
                       float param, std::size_t* first_bad = nullptr);
// Mean over rows of -sum_c q[r,c] * log_softmax(z)[r,c] with dense targets q (N, C).
float dense_cross_entropy(const float* logits, const float* target, float* dlogits, std::size_t N, std::size_t C);
// Sparse labels in [0, C) (checked by the caller) with label smoothing eps:
// q = (1 - eps) * onehot + eps / C.
float sparse_cross_entropy(const float* logits, const std::int32_t* labels, float* dlogits, std::size_t N, std::size_t C,
                           double smoothing);

}  // namespace gw
