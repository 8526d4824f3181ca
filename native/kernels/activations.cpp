// Drivers for activations: split work across threads, call the active ISA's kernels.
#include "kernels/activations.h"

#include <cstring>
#include <string>

#include "core/isa.h"
#include "core/threads.h"

namespace gw {

namespace {
// Elements per chunk: large enough to amortise a thread hand-off, small enough
// that a 128x2048 activation still splits across cores. A multiple of 64 so
// every chunk but the last starts on a full SIMD tile.
constexpr std::size_t kElemChunk = 1 << 14;

// Rows per chunk so that a chunk holds about kElemChunk floats (at least one row).
std::size_t row_chunk(std::size_t cols) { return cols >= kElemChunk ? 1 : kElemChunk / (cols == 0 ? 1 : cols); }

const char* const kKindNames[kActKindCount] = {GW_ACTIVATION_KINDS(GW_KIND_NAME)};

std::string join_names() {
  std::string s;
  for (int k = 0; k < kActKindCount; ++k) s += (k ? ", " : "") + std::string(kKindNames[k]);
  return s;
}
}  // namespace

bool parse_act_kind(const char* name, ActKind* out) {
  for (int k = 0; k < kActKindCount; ++k) {
    if (std::strcmp(name, kKindNames[k]) == 0) {
      *out = static_cast<ActKind>(k);
      return true;
    }
  }
  return false;
}

const char* act_kind_names() {
  static const std::string names = join_names();
  return names.c_str();
}

const ActivationKernels& activation_kernels() { return GW_PICK(activation_kernels); }

void activation_forward(ActKind kind, const float* x, float* y, std::size_t n, float alpha) {
  const ActForwardFn fn = activation_kernels().forward[static_cast<int>(kind)];
  parallel_chunks(n, kElemChunk, [&](std::size_t b, std::size_t e) { fn(x + b, y + b, e - b, alpha); });
}

void activation_backward(ActKind kind, const float* x, const float* y, const float* dy, float* dx, std::size_t n,
                         float alpha) {
  const ActBackwardFn fn = activation_kernels().backward[static_cast<int>(kind)];
  parallel_chunks(n, kElemChunk, [&](std::size_t b, std::size_t e) { fn(x + b, y + b, dy + b, dx + b, e - b, alpha); });
}

void activation_backward_bias(ActKind kind, const float* x, const float* y, const float* dy, float* dx, float* db,
                              std::size_t rows, std::size_t cols, float alpha) {
  const ActBackwardBiasFn fn = activation_kernels().backward_bias[static_cast<int>(kind)];
  // Column blocks (a multiple of every ISA's vector width) whose sums (4 KiB) stay in L1.
  constexpr std::size_t kBiasCols = 1024;
  parallel_chunks(cols, kBiasCols, [&](std::size_t c0, std::size_t c1) { fn(x, y, dy, dx, db, rows, cols, c0, c1, alpha); });
}

void softmax_forward(const float* x, float* y, std::size_t rows, std::size_t cols) {
  const RowsForwardFn fn = activation_kernels().softmax_forward;
  parallel_chunks(rows, row_chunk(cols), [&](std::size_t b, std::size_t e) { fn(x + b * cols, y + b * cols, e - b, cols); });
}

void softmax_backward(const float* y, const float* dy, float* dx, std::size_t rows, std::size_t cols) {
  const RowsBackwardFn fn = activation_kernels().softmax_backward;
  parallel_chunks(rows, row_chunk(cols),
                  [&](std::size_t b, std::size_t e) { fn(y + b * cols, dy + b * cols, dx + b * cols, e - b, cols); });
}

void log_softmax_forward(const float* x, float* y, std::size_t rows, std::size_t cols) {
  const RowsForwardFn fn = activation_kernels().log_softmax_forward;
  parallel_chunks(rows, row_chunk(cols), [&](std::size_t b, std::size_t e) { fn(x + b * cols, y + b * cols, e - b, cols); });
}

void log_softmax_backward(const float* y, const float* dy, float* dx, std::size_t rows, std::size_t cols) {
  const RowsBackwardFn fn = activation_kernels().log_softmax_backward;
  parallel_chunks(rows, row_chunk(cols),
                  [&](std::size_t b, std::size_t e) { fn(y + b * cols, dy + b * cols, dx + b * cols, e - b, cols); });
}

}  // namespace gw
