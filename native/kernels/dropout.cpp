// Drivers for dropout: split work across threads, call the active ISA's kernels.
#include "kernels/dropout.h"

#include <cmath>
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

}  // namespace gw
