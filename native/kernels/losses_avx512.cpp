#include "kernels/immintrin_avx512.h"

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
