// norms: avx512 kernels (the generic kernels of norms_simd_inl.h over the avx512 vector type).
#include <immintrin.h>

#include <algorithm>
#include <cstddef>

#include "kernels/norms.h"

namespace gw {
namespace {
#define GW_VEC_AVX512 1
#include "kernels/norms_vec.h"
#include "kernels/norms_simd_inl.h"
#undef GW_VEC_AVX512
}  // namespace

const NormKernels* norm_kernels_avx512() {
  static const NormKernels table = make_norm_table("avx512");
  return &table;
}

}  // namespace gw
