// dropout: kernel table (one per ISA) and the driver API used by the binding.
//
// Inverted dropout with a counter-based RNG (Philox4x32-10, Salmon et al.,
// "Parallel random numbers: as easy as 1, 2, 3", SC'11). The keep decision of
// element i is a pure function of (seed, stream, step, i):
//   key     = (seed, stream)                       (two 32-bit words)
//   counter = (block lo, block hi, step lo, step hi), block = 16*tile + j
// where elements are grouped in tiles of 64: element 64*tile + 16*w + j takes
// word w (0..3) of block j (0..15). Every ISA evaluates the same blocks (the
// SIMD kernels run kLanes blocks at a time, see dropout_simd.h) and the same
// integer compare, so masks are bit-identical across ISAs and thread counts.
// Element i is kept when its 32-bit word u satisfies u >= threshold, with
// threshold = floor(p * 2^32); kept elements are multiplied by
// scale = (float)(1 / (1 - p)).
#pragma once
#include <cstddef>
#include <cstdint>

namespace gw {

constexpr std::size_t kDropoutTile = 64;  // elements per tile (16 Philox blocks x 4 words)

struct DropoutParams {
  std::uint32_t key0, key1;         // seed, stream
  std::uint32_t step_lo, step_hi;   // training step
  std::uint32_t threshold;          // keep iff word >= threshold
  float scale;                      // 1 / (1 - p)
};

// One Philox4x32-10 block (scalar; the reference every vector path matches).
void philox4x32_10(const std::uint32_t counter[4], std::uint32_t key0, std::uint32_t key1, std::uint32_t out[4]);

// y[i] = keep(i) ? x[i] * scale : 0 for i in [begin, end); begin is a multiple
// of kDropoutTile; x and y point at element 0 of the whole tensor.
using DropoutApplyFn = void (*)(const float* x, float* y, std::size_t begin, std::size_t end, const DropoutParams& p);

// Single-threaded kernels of one ISA; the drivers in dropout.cpp own the thread loop.
struct DropoutKernels {
  const char* isa;
  DropoutApplyFn apply;
};

const DropoutKernels& dropout_kernels_scalar();
const DropoutKernels* dropout_kernels_sse2();    // nullptr: no specialisation
const DropoutKernels* dropout_kernels_avx2();
const DropoutKernels* dropout_kernels_avx512();
const DropoutKernels* dropout_kernels_neon();
const DropoutKernels& dropout_kernels();         // the active ISA's table

// The parameters for drop probability p in [0, 1) (checked by the binding).
DropoutParams dropout_params(double p, std::uint32_t seed, std::uint32_t stream, std::uint64_t step);

// Driver: y = mask * x * scale over [0, n) (forward: x = input; backward: x = dy, y = dx).
// p = 0 (threshold 0) is a plain copy. Threaded; deterministic for any thread count.
void dropout_apply(const float* x, float* y, std::size_t n, const DropoutParams& p);

// Same, with element i of x/y taking the mask of element offset + i of the whole
// tensor (a rank's slice of a global batch); offset = 0 is dropout_apply.
void dropout_apply_at(const float* x, float* y, std::size_t n, const DropoutParams& p, std::uint64_t offset);

}  // namespace gw
