// dropout: the SIMD kernel, written once over a thin per-ISA integer layer.
//
// Include this ONLY from an ISA translation unit after defining, in an
// anonymous namespace, `struct Vec` with:
//   U (kLanes x uint32), kLanes (4, 8 or 16), set1(uint32), iota() = {0, 1, ..},
//   add, xor_, mulhilo(a, m, &hi, &lo) (32x32 -> 64-bit products of every lane),
//   apply(x, y, word, threshold, scale): y[0..kLanes) = word >= threshold ? x*scale : 0.
// Philox blocks live in the lanes (structure of arrays): lane l of half h
// holds block 16*tile + h*kLanes + l, so word w of that block lands on element
// 64*tile + 16*w + h*kLanes + l: contiguous runs of kLanes elements, and the
// same assignment as the scalar reference for every kLanes.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dropout.h"

namespace gw {
namespace {

using U = Vec::U;

void dropout_apply_simd(const float* x, float* y, std::size_t begin, std::size_t end, const DropoutParams& p) {
  static_assert(16 % Vec::kLanes == 0, "a tile holds 16 blocks");
  const U m0 = Vec::set1(0xD2511F53u);
  const U m1 = Vec::set1(0xCD9E8D57u);
  const U step_lo = Vec::set1(p.step_lo);
  const U step_hi = Vec::set1(p.step_hi);
  const U iota = Vec::iota();
  std::size_t tile_start = begin;
  for (; tile_start + kDropoutTile <= end; tile_start += kDropoutTile) {
    const std::uint64_t first_block = static_cast<std::uint64_t>(tile_start / kDropoutTile) * 16;
    for (std::size_t h = 0; h < 16 / Vec::kLanes; ++h) {
      // first_block is a multiple of 16, so adding h*kLanes + lane never carries into the high word.
      U c0 = Vec::add(Vec::set1(static_cast<std::uint32_t>(first_block + h * Vec::kLanes)), iota);
      U c1 = Vec::set1(static_cast<std::uint32_t>(first_block >> 32));
      U c2 = step_lo;
      U c3 = step_hi;
      std::uint32_t k0 = p.key0, k1 = p.key1;
      for (int round = 0; round < 10; ++round) {
        U hi0, lo0, hi1, lo1;
        Vec::mulhilo(c0, m0, &hi0, &lo0);
        Vec::mulhilo(c2, m1, &hi1, &lo1);
        c0 = Vec::xor_(Vec::xor_(hi1, c1), Vec::set1(k0));
        c1 = lo1;
        c2 = Vec::xor_(Vec::xor_(hi0, c3), Vec::set1(k1));
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
      }
      const std::size_t base = tile_start + h * Vec::kLanes;
      Vec::apply(x + base, y + base, c0, p.threshold, p.scale);
      Vec::apply(x + base + 16, y + base + 16, c1, p.threshold, p.scale);
      Vec::apply(x + base + 32, y + base + 32, c2, p.threshold, p.scale);
      Vec::apply(x + base + 48, y + base + 48, c3, p.threshold, p.scale);
    }
  }
  // Last partial tile: the scalar reference's block assignment, element by element.
  if (tile_start < end) {
    const std::uint64_t first_block = static_cast<std::uint64_t>(tile_start / kDropoutTile) * 16;
    for (std::uint32_t j = 0; j < 16; ++j) {
      const std::uint64_t block = first_block + j;
      const std::uint32_t counter[4] = {static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
                                        p.step_lo, p.step_hi};
      std::uint32_t word[4];
      philox4x32_10(counter, p.key0, p.key1, word);
      for (std::size_t w = 0; w < 4; ++w) {
        const std::size_t i = tile_start + 16 * w + j;
        if (i < end) y[i] = word[w] >= p.threshold ? x[i] * p.scale : 0.0f;
      }
    }
  }
}

}  // namespace
}  // namespace gw
