// norms: sse2 kernels (the generic kernels of norms_simd_inl.h over the sse2 vector type).
#include <immintrin.h>

#include <algorithm>
#include <cstddef>

#include "kernels/norms.h"

namespace gw {
namespace {
#define GW_VEC_SSE2 1
#include "kernels/simd.h"
#include "kernels/norms_simd_inl.h"
#undef GW_VEC_SSE2
}  // namespace

const NormKernels* norm_kernels_sse2() {
  static const NormKernels table = make_norm_table("sse2");
  return &table;
}

}  // namespace gw
