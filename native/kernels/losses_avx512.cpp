// losses: avx512 kernels (the generic kernels of losses_simd_inl.h over the avx512 vector type).
// GCC 12 reports false (maybe-)uninitialized warnings inside its own AVX-512 headers
// (GCC bug 105593, _mm512_undefined_*); the state at the header's lines decides.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "kernels/losses.h"

namespace gw {
namespace {
#define GW_VEC_AVX512 1
#include "kernels/simd.h"
#include "kernels/losses_simd_inl.h"
#undef GW_VEC_AVX512
}  // namespace

const LossKernels* loss_kernels_avx512() {
  static const LossKernels table = make_loss_table("avx512");
  return &table;
}

}  // namespace gw
