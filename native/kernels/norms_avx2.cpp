// norms: avx2 kernels (the generic kernels of norms_simd_inl.h over the avx2 vector type).
#include <immintrin.h>

#include <algorithm>
#include <cstddef>

#include "kernels/norms.h"

namespace gw {
namespace {
#define GW_VEC_AVX2 1
#include "kernels/simd.h"
#include "kernels/norms_simd_inl.h"
#undef GW_VEC_AVX2
}  // namespace

const NormKernels* norm_kernels_avx2() {
  static const NormKernels table = make_norm_table("avx2");
  return &table;
}

}  // namespace gw
