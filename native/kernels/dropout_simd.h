// dropout: the SIMD kernel, written once over a thin per-ISA integer layer.
//
// Include this ONLY from an ISA translation unit after defining, in an
// anonymous namespace, `struct Vec` with:
//   U (kLanes x uint32 = kLanes/2 x uint64), kLanes (4, 8 or 16), set1(uint32),
//   iota_even() = 32-bit lanes {0, 0, 2, 0, 4, 0, ...}, add, xor3(a, b, c) = a^b^c,
//   mul_even(a, m): the 64-bit products of the low 32 bits of each 64-bit lane,
//   shr32(a): each 64-bit lane shifted right by 32,
//   interleave(a, b): 32-bit lanes {a[0], b[0], a[2], b[2], ...} (low halves of the 64-bit lanes),
//   apply(x, y, word, threshold, scale): y[0..kLanes) = word >= threshold ? x*scale : 0.
// Philox blocks live in 64-bit lanes (structure of arrays, only the low 32
// bits meaningful): a group of kLanes blocks j0.. is split into even blocks
// (vector a) and odd blocks (vector b), so one 32x32->64 multiply gives both
// halves of a product and a shift the high half; no blends inside the rounds.
// interleave() puts block j0 + i in 32-bit lane i, so word w lands on the
// contiguous elements 64*tile + 16*w + j0 + i: the scalar reference's layout.
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
  const U even_ids = Vec::iota_even();
  const U odd_ids = Vec::add(even_ids, Vec::set1(1));
  // The ten round keys, broadcast once per call.
  U round_key0[10], round_key1[10];
  {
    std::uint32_t k0 = p.key0, k1 = p.key1;
    for (int round = 0; round < 10; ++round) {
      round_key0[round] = Vec::set1(k0);
      round_key1[round] = Vec::set1(k1);
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
  }
  std::size_t tile_start = begin;
  for (; tile_start + kDropoutTile <= end; tile_start += kDropoutTile) {
    const std::uint64_t first_block = static_cast<std::uint64_t>(tile_start / kDropoutTile) * 16;
    for (std::size_t h = 0; h < 16 / Vec::kLanes; ++h) {
      // first_block is a multiple of 16, so adding h*kLanes + j never carries into the high word.
      const U group = Vec::set1(static_cast<std::uint32_t>(first_block + h * Vec::kLanes));
      U a0 = Vec::add(group, even_ids), b0 = Vec::add(group, odd_ids);
      U a1 = Vec::set1(static_cast<std::uint32_t>(first_block >> 32)), b1 = a1;
      U a2 = step_lo, b2 = step_lo;
      U a3 = step_hi, b3 = step_hi;
      for (int round = 0; round < 10; ++round) {
        const U pa0 = Vec::mul_even(a0, m0), pa2 = Vec::mul_even(a2, m1);
        const U pb0 = Vec::mul_even(b0, m0), pb2 = Vec::mul_even(b2, m1);
        a0 = Vec::xor3(Vec::shr32(pa2), a1, round_key0[round]);
        b0 = Vec::xor3(Vec::shr32(pb2), b1, round_key0[round]);
        a1 = pa2;  // low half: lo(M1*c2)
        b1 = pb2;
        a2 = Vec::xor3(Vec::shr32(pa0), a3, round_key1[round]);
        b2 = Vec::xor3(Vec::shr32(pb0), b3, round_key1[round]);
        a3 = pa0;  // low half: lo(M0*c0)
        b3 = pb0;
      }
      const std::size_t base = tile_start + h * Vec::kLanes;
      Vec::apply(x + base, y + base, Vec::interleave(a0, b0), p.threshold, p.scale);
      Vec::apply(x + base + 16, y + base + 16, Vec::interleave(a1, b1), p.threshold, p.scale);
      Vec::apply(x + base + 32, y + base + 32, Vec::interleave(a2, b2), p.threshold, p.scale);
      Vec::apply(x + base + 48, y + base + 48, Vec::interleave(a3, b3), p.threshold, p.scale);
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
