// dropconnect: the SIMD mask kernel, written once over a thin per-ISA layer.
//
// Include this ONLY from an ISA translation unit, after kernels/philox_simd.h.
// Each Philox tile of 64 elements is generated kLanes blocks at a time exactly
// as dropout_simd.h does (philox_group) (so the words are the scalar reference's), stored to a
// 64-word array in element order, and applied with the vector compare to the
// part of the tile inside [f0, f1).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dropconnect.h"
#include "kernels/philox_simd.h"

namespace gw {
namespace {

void dropconnect_mask_range_simd(const float* w, float* out, std::size_t f0, std::size_t f1, const DropoutParams& p) {
  if (f0 >= f1) return;
  const PhiloxLanes lanes(p);
  alignas(64) std::uint32_t words[kDropoutTile];
  for (std::size_t tile = f0 / kDropoutTile; tile * kDropoutTile < f1; ++tile) {
    const std::uint64_t first_block = static_cast<std::uint64_t>(tile) * 16;
    for (std::size_t h = 0; h < 16 / Vec::kLanes; ++h) {
      U word[4];
      philox_group(lanes, first_block, h, word);
      // Word w of block 16*tile + j is element 64*tile + 16*w + j.
      for (std::size_t k = 0; k < 4; ++k) Vec::store(words + 16 * k + h * Vec::kLanes, word[k]);
    }
    const std::size_t t0 = tile * kDropoutTile;
    const std::size_t lo = f0 > t0 ? f0 : t0;
    const std::size_t hi = f1 < t0 + kDropoutTile ? f1 : t0 + kDropoutTile;
    std::size_t f = lo;
    for (; f + Vec::kLanes <= hi; f += Vec::kLanes) {
      Vec::apply(w + f, out + (f - f0), Vec::load(words + (f - t0)), p.threshold, p.scale);
    }
    for (; f < hi; ++f) out[f - f0] = words[f - t0] >= p.threshold ? w[f] * p.scale : 0.0f;
  }
}

}  // namespace
}  // namespace gw
