// norms: avx512 kernels (the generic kernels of norms_simd_inl.h over the avx512 vector type).
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
#include <cstddef>

#include "kernels/norms.h"

namespace gw {
namespace {
#define GW_VEC_AVX512 1
#include "kernels/simd.h"
#include "kernels/norms_simd_inl.h"
#undef GW_VEC_AVX512
}  // namespace

const NormKernels* norm_kernels_avx512() {
  static const NormKernels table = make_norm_table("avx512");
  return &table;
}

}  // namespace gw
