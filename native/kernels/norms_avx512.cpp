#include "kernels/immintrin_avx512.h"

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
