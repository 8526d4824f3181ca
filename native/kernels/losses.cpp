// Drivers for losses: split work across threads, call the active ISA's kernels.
// Partial sums are kept per fixed chunk and added in chunk order, so the loss
// does not depend on the thread count.
#include "kernels/losses.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/isa.h"
#include "core/threads.h"

namespace gw {

const LossKernels& loss_kernels() { return GW_PICK(loss_kernels); }

namespace {

constexpr std::size_t kElemChunk = 16384;

std::size_t rows_per_chunk(std::size_t C) { return std::max<std::size_t>(1, kElemChunk / std::max<std::size_t>(1, C)); }

template <class Fn>
double chunked_sum(std::size_t n, std::size_t chunk, Fn&& fn) {
  if (n == 0) return 0.0;
  const std::size_t chunks = (n + chunk - 1) / chunk;
  std::vector<double> partial(chunks, 0.0);
  parallel_chunks(n, chunk, [&](std::size_t b, std::size_t e) { partial[b / chunk] = fn(b, e); });
  double total = 0.0;
  for (double p : partial) total += p;
  return total;
}

}  // namespace

namespace {

// Index of the first value outside [0, 1] (NaN included), or SIZE_MAX. A
// branch-free scan first (vectorised), the search only on failure.
std::size_t first_outside_unit(const float* v, std::size_t n) {
  int bad = 0;
  for (std::size_t i = 0; i < n; ++i) bad |= !(v[i] >= 0.0f) | !(v[i] <= 1.0f);
  if (!bad) return SIZE_MAX;
  for (std::size_t i = 0; i < n; ++i)
    if (!(v[i] >= 0.0f && v[i] <= 1.0f)) return i;
  return SIZE_MAX;
}

}  // namespace

float elementwise_loss(LossKind kind, const float* input, const float* target, float* dinput, std::size_t n,
                       float param, std::size_t* first_bad) {
  const LossKernels& k = loss_kernels();
  if (first_bad) *first_bad = SIZE_MAX;
  if (n == 0) return 0.0f;
  const float scale = static_cast<float>(1.0 / static_cast<double>(n));
  const bool check = kind == LossKind::kBce && first_bad;
  std::vector<std::size_t> bad_input, bad_target;  // per chunk, SIZE_MAX when clean
  if (check) {
    bad_input.assign((n + kElemChunk - 1) / kElemChunk, SIZE_MAX);
    bad_target.assign(bad_input.size(), SIZE_MAX);
  }
  const double total = chunked_sum(n, kElemChunk, [&](std::size_t b, std::size_t e) -> double {
    const float* p = input + b;
    const float* t = target + b;
    float* d = dinput ? dinput + b : nullptr;
    const std::size_t m = e - b;
    if (check) {
      const std::size_t bi = first_outside_unit(p, m), bt = first_outside_unit(t, m);
      if (bi != SIZE_MAX || bt != SIZE_MAX) {
        if (bi != SIZE_MAX) bad_input[b / kElemChunk] = b + bi;
        if (bt != SIZE_MAX) bad_target[b / kElemChunk] = b + bt;
        return 0.0;
      }
    }
    switch (kind) {
      case LossKind::kMse: return k.mse(p, t, m, scale, d);
      case LossKind::kMae: return k.mae(p, t, m, scale, d);
      case LossKind::kHuber: return k.huber(p, t, m, param, scale, d);
      case LossKind::kBce: return k.bce(p, t, m, scale, d);
      case LossKind::kBceLogits: return k.bce_logits(p, t, m, scale, d);
      case LossKind::kCce: break;  // not elementwise: dense_cross_entropy
    }
    return 0.0;
  });
  if (check) {
    for (std::size_t c = 0; c < bad_input.size(); ++c) {
      if (bad_input[c] != SIZE_MAX) *first_bad = std::min(*first_bad, bad_input[c]);
    }
    if (*first_bad == SIZE_MAX) {
      for (std::size_t c = 0; c < bad_target.size(); ++c) {
        if (bad_target[c] != SIZE_MAX) *first_bad = std::min(*first_bad, n + bad_target[c]);
      }
    }
  }
  return static_cast<float>(total / static_cast<double>(n));
}

float dense_cross_entropy(const float* logits, const float* target, float* dlogits, std::size_t N, std::size_t C) {
  const LossKernels& k = loss_kernels();
  if (N == 0 || C == 0) return 0.0f;
  const float scale = static_cast<float>(1.0 / static_cast<double>(N));
  const std::size_t chunk = rows_per_chunk(C);
  const double total = chunked_sum(N, chunk, [&](std::size_t b, std::size_t e) -> double {
    double s = 0.0;
    for (std::size_t r = b; r < e; ++r) {
      const float* z = logits + r * C;
      const float* q = target + r * C;
      const float m = k.row_max(z, C);
      float* d = dlogits ? dlogits + r * C : nullptr;
      const double se = d ? k.exp_sum_store(z, C, m, d) : k.sum_exp(z, C, m);
      const double log_se = std::log(se);
      // -sum q * (z - lse) = sum(q) * log(se) - sum q * (z - m); its gradient is
      // softmax * sum(q) - q, which is softmax - q for targets that sum to 1.
      const double sum_q = k.sum_shifted(q, C, 0.0f);
      s += sum_q * log_se - k.dot_shifted(q, z, C, m);
      if (d) k.softmax_grad(d, q, C, static_cast<float>(sum_q / se), 0.0f, scale, d);
    }
    return s;
  });
  return static_cast<float>(total / static_cast<double>(N));
}

float sparse_cross_entropy(const float* logits, const std::int32_t* labels, float* dlogits, std::size_t N, std::size_t C,
                           double smoothing) {
  const LossKernels& k = loss_kernels();
  if (N == 0 || C == 0) return 0.0f;
  const float scale = static_cast<float>(1.0 / static_cast<double>(N));
  const double uniform = smoothing / static_cast<double>(C);
  const std::size_t chunk = rows_per_chunk(C);
  const double total = chunked_sum(N, chunk, [&](std::size_t b, std::size_t e) -> double {
    double s = 0.0;
    for (std::size_t r = b; r < e; ++r) {
      const float* z = logits + r * C;
      const std::size_t y = static_cast<std::size_t>(labels[r]);
      const float m = k.row_max(z, C);
      float* d = dlogits ? dlogits + r * C : nullptr;
      const double se = d ? k.exp_sum_store(z, C, m, d) : k.sum_exp(z, C, m);
      const double log_se = std::log(se);
      // -log_softmax(z)[c] = log_se - (z[c] - m)
      double row = (1.0 - smoothing) * (log_se - (static_cast<double>(z[y]) - m));
      if (smoothing != 0.0) row += uniform * (static_cast<double>(C) * log_se - k.sum_shifted(z, C, m));
      s += row;
      if (d) {
        k.softmax_grad(d, nullptr, C, static_cast<float>(1.0 / se), static_cast<float>(uniform), scale, d);
        d[y] -= static_cast<float>((1.0 - smoothing) * scale);
      }
    }
    return s;
  });
  return static_cast<float>(total / static_cast<double>(N));
}

namespace {
const char* const kLossKindNames[kLossKindCount] = {GW_LOSS_KINDS(GW_KIND_NAME)};
}  // namespace

bool parse_loss_kind(const std::string& name, LossKind* out) {
  for (int k = 0; k < kLossKindCount; ++k) {
    if (name == kLossKindNames[k]) {
      *out = static_cast<LossKind>(k);
      return true;
    }
  }
  return false;
}

const char* loss_kind_names() {
  static const std::string names = [] {
    std::string s;
    for (int k = 0; k < kLossKindCount; ++k) s += (k ? ", " : "") + std::string(kLossKindNames[k]);
    return s;
  }();
  return names.c_str();
}

}  // namespace gw
