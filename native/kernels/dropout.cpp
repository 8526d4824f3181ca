// Drivers for dropout: split work across threads, call the active ISA's kernels.
#include "kernels/dropout.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/isa.h"
#include "core/threads.h"

namespace gw {

namespace {
// A multiple of kDropoutTile, so every chunk starts on a tile boundary.
constexpr std::size_t kElemChunk = 1 << 14;
static_assert(kElemChunk % kDropoutTile == 0, "chunks must start on a tile");
}  // namespace

const DropoutKernels& dropout_kernels() { return GW_PICK(dropout_kernels); }

DropoutParams dropout_params(double p, std::uint32_t seed, std::uint32_t stream, std::uint64_t step) {
  DropoutParams d;
  d.key0 = seed;
  d.key1 = stream;
  d.step_lo = static_cast<std::uint32_t>(step);
  d.step_hi = static_cast<std::uint32_t>(step >> 32);
  // p < 1 so p*2^32 < 2^32: floor fits in 32 bits.
  d.threshold = static_cast<std::uint32_t>(std::floor(p * 4294967296.0));
  d.scale = static_cast<float>(1.0 / (1.0 - p));
  return d;
}

void dropout_apply(const float* x, float* y, std::size_t n, const DropoutParams& p) {
  if (p.threshold == 0) {  // p = 0: identity (also in place)
    if (x != y) {
      parallel_chunks(n, kElemChunk, [&](std::size_t b, std::size_t e) { std::memmove(y + b, x + b, (e - b) * sizeof(float)); });
    }
    return;
  }
  const DropoutApplyFn fn = dropout_kernels().apply;
  parallel_chunks(n, kElemChunk, [&](std::size_t b, std::size_t e) { fn(x, y, b, e, p); });
}

void dropout_apply_at(const float* x, float* y, std::size_t n, const DropoutParams& p, std::uint64_t offset) {
  if (offset == 0 || p.threshold == 0) {
    dropout_apply(x, y, n, p);
    return;
  }
  // Elements before the first tile boundary at or after `offset`: the scalar
  // reference's layout (element g takes word (g % 64) / 16 of block 16*(g/64) + g % 16).
  const std::uint64_t aligned = (offset + kDropoutTile - 1) / kDropoutTile * kDropoutTile;
  const std::size_t head = static_cast<std::size_t>(aligned - offset) < n ? static_cast<std::size_t>(aligned - offset) : n;
  for (std::size_t i = 0; i < head; ++i) {
    const std::uint64_t g = offset + i;
    const std::uint64_t block = g / kDropoutTile * 16 + g % 16;
    const std::uint32_t counter[4] = {static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32), p.step_lo,
                                      p.step_hi};
    std::uint32_t word[4];
    philox4x32_10(counter, p.key0, p.key1, word);
    y[i] = word[(g % kDropoutTile) / 16] >= p.threshold ? x[i] * p.scale : 0.0f;
  }
  if (head == n) return;
  // The rest starts on a tile: the kernels index from element 0 of the whole
  // tensor, so hand them pointers shifted back by `offset` elements (only
  // elements at or after `aligned` are touched). Chunks are fixed in the global
  // index space, so results stay independent of the thread count.
  const DropoutApplyFn fn = dropout_kernels().apply;
  const float* xg = reinterpret_cast<const float*>(reinterpret_cast<std::uintptr_t>(x) - offset * sizeof(float));
  float* yg = reinterpret_cast<float*>(reinterpret_cast<std::uintptr_t>(y) - offset * sizeof(float));
  const std::size_t rest = n - head;
  parallel_chunks(rest, kElemChunk, [&](std::size_t b, std::size_t e) { fn(xg, yg, aligned + b, aligned + e, p); });
}

}  // namespace gw
