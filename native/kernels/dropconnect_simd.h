// dropconnect: the SIMD mask kernel, written once over a thin per-ISA layer.
//
// Include this ONLY from an ISA translation unit after defining, in an
// anonymous namespace, `struct Vec` with dropout_simd.h's integer layer (U,
// kLanes, set1, iota_even, add, xor3, mul_even, shr32, interleave, apply) plus
//   store(std::uint32_t* dst, U v) and load(const std::uint32_t* src) (unaligned).
// Each Philox tile of 64 elements is generated kLanes blocks at a time exactly
// as dropout_simd.h does (so the words are the scalar reference's), stored to a
// 64-word array in element order, and applied with the vector compare to the
// part of the tile inside [f0, f1).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dropconnect.h"

namespace gw {
namespace {

void dropconnect_mask_range_simd(const float* w, float* out, std::size_t f0, std::size_t f1, const DropoutParams& p) {
  using U = Vec::U;
  static_assert(16 % Vec::kLanes == 0, "a tile holds 16 blocks");
  if (f0 >= f1) return;
  const U m0 = Vec::set1(0xD2511F53u);
  const U m1 = Vec::set1(0xCD9E8D57u);
  const U step_lo = Vec::set1(p.step_lo);
  const U step_hi = Vec::set1(p.step_hi);
  const U even_ids = Vec::iota_even();
  const U odd_ids = Vec::add(even_ids, Vec::set1(1));
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
  alignas(64) std::uint32_t words[kDropoutTile];
  for (std::size_t tile = f0 / kDropoutTile; tile * kDropoutTile < f1; ++tile) {
    const std::uint64_t first_block = static_cast<std::uint64_t>(tile) * 16;
    for (std::size_t h = 0; h < 16 / Vec::kLanes; ++h) {
      // first_block is a multiple of 16: adding h*kLanes + j never carries into the high word.
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
        a1 = pa2;
        b1 = pb2;
        a2 = Vec::xor3(Vec::shr32(pa0), a3, round_key1[round]);
        b2 = Vec::xor3(Vec::shr32(pb0), b3, round_key1[round]);
        a3 = pa0;
        b3 = pb0;
      }
      // Word w of block 16*tile + j is element 64*tile + 16*w + j.
      Vec::store(words + h * Vec::kLanes, Vec::interleave(a0, b0));
      Vec::store(words + 16 + h * Vec::kLanes, Vec::interleave(a1, b1));
      Vec::store(words + 32 + h * Vec::kLanes, Vec::interleave(a2, b2));
      Vec::store(words + 48 + h * Vec::kLanes, Vec::interleave(a3, b3));
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
