// dropout: the SIMD kernel, written once over philox_simd.h's per-ISA layer.
//
// Include this ONLY from an ISA translation unit, after kernels/philox_simd.h.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dropout.h"
#include "kernels/philox_simd.h"

namespace gw {
namespace {

void dropout_apply_simd(const float* x, float* y, std::size_t begin, std::size_t end, const DropoutParams& p) {
  const PhiloxLanes lanes(p);
  std::size_t tile_start = begin;
  for (; tile_start + kDropoutTile <= end; tile_start += kDropoutTile) {
    const std::uint64_t first_block = static_cast<std::uint64_t>(tile_start / kDropoutTile) * 16;
    for (std::size_t h = 0; h < 16 / Vec::kLanes; ++h) {
      U word[4];
      philox_group(lanes, first_block, h, word);
      const std::size_t base = tile_start + h * Vec::kLanes;
      for (std::size_t w = 0; w < 4; ++w) Vec::apply(x + base + 16 * w, y + base + 16 * w, word[w], p.threshold, p.scale);
    }
  }
  // Last partial tile: the scalar reference itself (begin of a tile, element by element).
  if (tile_start < end) dropout_kernels_scalar().apply(x, y, tile_start, end, p);
}

}  // namespace
}  // namespace gw
