// Philox4x32-10 in SIMD lanes: the integer layer and the block rounds shared by
// the dropout and dropconnect mask kernels (their masks are the same function
// of (seed, stream, step, element), see dropout.h).
//
// Include this ONLY from an ISA translation unit (dropout_<isa>.cpp,
// dropconnect_<isa>.cpp) inside its ISA guard; the layer is chosen by the
// compiler flags of that unit (AVX-512F > AVX2 > NEON > SSE2). `struct Vec`:
//   U (kLanes x uint32 = kLanes/2 x uint64), kLanes (4, 8 or 16), set1(uint32),
//   iota_even() = 32-bit lanes {0, 0, 2, 0, 4, 0, ...}, add, xor3(a, b, c) = a^b^c,
//   mul_even(a, m): the 64-bit products of the low 32 bits of each 64-bit lane,
//   shr32(a): each 64-bit lane shifted right by 32,
//   interleave(a, b): 32-bit lanes {a[0], b[0], a[2], b[2], ...} (low halves of the 64-bit lanes),
//   load/store of kLanes uint32 (unaligned),
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

#if defined(__AVX512F__)
#include "kernels/immintrin_avx512.h"
#elif defined(__AVX2__)
#include <immintrin.h>
#elif defined(__aarch64__) && (defined(__ARM_NEON) || defined(__ARM_NEON__))
#include <arm_neon.h>
#elif defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#else
#error "philox_simd.h: no SIMD layer for this unit's target"
#endif

namespace gw {
namespace {

#if defined(__AVX512F__)
struct Vec {  // 16 Philox blocks per pair of vectors: one tile at once
  using U = __m512i;
  static constexpr std::size_t kLanes = 16;
  static U set1(std::uint32_t v) { return _mm512_set1_epi32(static_cast<int>(v)); }
  static U iota_even() { return _mm512_setr_epi32(0, 0, 2, 0, 4, 0, 6, 0, 8, 0, 10, 0, 12, 0, 14, 0); }
  static U add(U a, U b) { return _mm512_add_epi32(a, b); }
  static U xor3(U a, U b, U c) { return _mm512_ternarylogic_epi32(a, b, c, 0x96); }  // one instruction
  static U mul_even(U a, U m) { return _mm512_mul_epu32(a, m); }
  static U shr32(U a) { return _mm512_srli_epi64(a, 32); }
  static U interleave(U a, U b) { return _mm512_mask_blend_epi32(0xAAAA, a, _mm512_slli_epi64(b, 32)); }
  static void store(std::uint32_t* dst, U v) { _mm512_storeu_si512(dst, v); }
  static U load(const std::uint32_t* src) { return _mm512_loadu_si512(src); }
  static void apply(const float* x, float* y, U word, std::uint32_t threshold, float scale) {
    const __mmask16 keep = _mm512_cmpge_epu32_mask(word, set1(threshold));
    _mm512_storeu_ps(y, _mm512_maskz_mul_ps(keep, _mm512_loadu_ps(x), _mm512_set1_ps(scale)));
  }
};
#elif defined(__AVX2__)
struct Vec {  // 8 Philox blocks per pair of vectors
  using U = __m256i;
  static constexpr std::size_t kLanes = 8;
  static U set1(std::uint32_t v) { return _mm256_set1_epi32(static_cast<int>(v)); }
  static U iota_even() { return _mm256_setr_epi32(0, 0, 2, 0, 4, 0, 6, 0); }
  static U add(U a, U b) { return _mm256_add_epi32(a, b); }
  static U xor3(U a, U b, U c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
  static U mul_even(U a, U m) { return _mm256_mul_epu32(a, m); }
  static U shr32(U a) { return _mm256_srli_epi64(a, 32); }
  static U interleave(U a, U b) { return _mm256_blend_epi32(a, _mm256_slli_epi64(b, 32), 0xAA); }
  static void store(std::uint32_t* dst, U v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), v); }
  static U load(const std::uint32_t* src) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src)); }
  static void apply(const float* x, float* y, U word, std::uint32_t threshold, float scale) {
    // word >= threshold (unsigned) <=> max(word, threshold) == word.
    const U keep = _mm256_cmpeq_epi32(_mm256_max_epu32(word, set1(threshold)), word);
    const __m256 kept = _mm256_mul_ps(_mm256_loadu_ps(x), _mm256_set1_ps(scale));
    _mm256_storeu_ps(y, _mm256_and_ps(_mm256_castsi256_ps(keep), kept));
  }
};
#elif defined(__aarch64__)
struct Vec {  // 4 Philox blocks per pair of vectors
  using U = uint32x4_t;
  static constexpr std::size_t kLanes = 4;
  static U set1(std::uint32_t v) { return vdupq_n_u32(v); }
  static U iota_even() {
    static const std::uint32_t lanes[4] = {0, 0, 2, 0};
    return vld1q_u32(lanes);
  }
  static U add(U a, U b) { return vaddq_u32(a, b); }
  static U xor3(U a, U b, U c) { return veorq_u32(veorq_u32(a, b), c); }
  // vmovn takes the low 32 bits of each 64-bit lane; vmull gives the two 64-bit products.
  static U mul_even(U a, U m) {
    return vreinterpretq_u32_u64(vmull_u32(vmovn_u64(vreinterpretq_u64_u32(a)), vget_low_u32(m)));
  }
  static U shr32(U a) { return vreinterpretq_u32_u64(vshrq_n_u64(vreinterpretq_u64_u32(a), 32)); }
  static U interleave(U a, U b) { return vtrn1q_u32(a, b); }
  static void store(std::uint32_t* dst, U v) { vst1q_u32(dst, v); }
  static U load(const std::uint32_t* src) { return vld1q_u32(src); }
  static void apply(const float* x, float* y, U word, std::uint32_t threshold, float scale) {
    const uint32x4_t keep = vcgeq_u32(word, vdupq_n_u32(threshold));
    const float32x4_t kept = vmulq_n_f32(vld1q_f32(x), scale);
    vst1q_f32(y, vreinterpretq_f32_u32(vandq_u32(keep, vreinterpretq_u32_f32(kept))));
  }
};
#else
struct Vec {  // SSE2: 4 Philox blocks per pair of vectors
  using U = __m128i;
  static constexpr std::size_t kLanes = 4;
  static U set1(std::uint32_t v) { return _mm_set1_epi32(static_cast<int>(v)); }
  static U iota_even() { return _mm_setr_epi32(0, 0, 2, 0); }
  static U add(U a, U b) { return _mm_add_epi32(a, b); }
  static U xor3(U a, U b, U c) { return _mm_xor_si128(_mm_xor_si128(a, b), c); }
  static U mul_even(U a, U m) { return _mm_mul_epu32(a, m); }
  static U shr32(U a) { return _mm_srli_epi64(a, 32); }
  static U interleave(U a, U b) {
    return _mm_or_si128(_mm_and_si128(a, _mm_set_epi32(0, -1, 0, -1)), _mm_slli_epi64(b, 32));
  }
  static void store(std::uint32_t* dst, U v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), v); }
  static U load(const std::uint32_t* src) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(src)); }
  static void apply(const float* x, float* y, U word, std::uint32_t threshold, float scale) {
    // Unsigned word < threshold as a signed compare after flipping the sign bits.
    const U flip = _mm_set1_epi32(static_cast<int>(0x80000000u));
    const U drop = _mm_cmpgt_epi32(_mm_xor_si128(set1(threshold), flip), _mm_xor_si128(word, flip));
    const __m128 kept = _mm_mul_ps(_mm_loadu_ps(x), _mm_set1_ps(scale));
    _mm_storeu_ps(y, _mm_andnot_ps(_mm_castsi128_ps(drop), kept));
  }
};
#endif

using U = Vec::U;
static_assert(16 % Vec::kLanes == 0, "a tile holds 16 blocks");

// The per-call constants broadcast once: multipliers, step words, block ids, the ten round keys.
struct PhiloxLanes {
  U m0, m1, step_lo, step_hi, even_ids, odd_ids;
  U round_key0[10], round_key1[10];
  explicit PhiloxLanes(const DropoutParams& p)
      : m0(Vec::set1(0xD2511F53u)),
        m1(Vec::set1(0xCD9E8D57u)),
        step_lo(Vec::set1(p.step_lo)),
        step_hi(Vec::set1(p.step_hi)),
        even_ids(Vec::iota_even()),
        odd_ids(Vec::add(Vec::iota_even(), Vec::set1(1))) {
    std::uint32_t k0 = p.key0, k1 = p.key1;
    for (int round = 0; round < 10; ++round) {
      round_key0[round] = Vec::set1(k0);
      round_key1[round] = Vec::set1(k1);
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
  }
};

// Blocks first_block + h*kLanes + i (i < kLanes) of a tile (first_block = 16*tile):
// word[w] lane i = word w of that block, i.e. element 64*tile + 16*w + h*kLanes + i.
inline void philox_group(const PhiloxLanes& L, std::uint64_t first_block, std::size_t h, U word[4]) {
  // first_block is a multiple of 16, so adding h*kLanes + j never carries into the high word.
  const U group = Vec::set1(static_cast<std::uint32_t>(first_block + h * Vec::kLanes));
  U a0 = Vec::add(group, L.even_ids), b0 = Vec::add(group, L.odd_ids);
  U a1 = Vec::set1(static_cast<std::uint32_t>(first_block >> 32)), b1 = a1;
  U a2 = L.step_lo, b2 = L.step_lo;
  U a3 = L.step_hi, b3 = L.step_hi;
  for (int round = 0; round < 10; ++round) {
    const U pa0 = Vec::mul_even(a0, L.m0), pa2 = Vec::mul_even(a2, L.m1);
    const U pb0 = Vec::mul_even(b0, L.m0), pb2 = Vec::mul_even(b2, L.m1);
    a0 = Vec::xor3(Vec::shr32(pa2), a1, L.round_key0[round]);
    b0 = Vec::xor3(Vec::shr32(pb2), b1, L.round_key0[round]);
    a1 = pa2;  // low half: lo(M1*c2)
    b1 = pb2;
    a2 = Vec::xor3(Vec::shr32(pa0), a3, L.round_key1[round]);
    b2 = Vec::xor3(Vec::shr32(pb0), b3, L.round_key1[round]);
    a3 = pa0;  // low half: lo(M0*c0)
    b3 = pb0;
  }
  word[0] = Vec::interleave(a0, b0);
  word[1] = Vec::interleave(a1, b1);
  word[2] = Vec::interleave(a2, b2);
  word[3] = Vec::interleave(a3, b3);
}

}  // namespace
}  // namespace gw
