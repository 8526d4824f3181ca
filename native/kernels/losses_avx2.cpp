// losses: avx2 kernels (the generic kernels of losses_simd_inl.h over the avx2 vector type).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "kernels/losses.h"

namespace gw {
namespace {
#define GW_VEC_AVX2 1
#include "kernels/simd.h"
#include "kernels/losses_simd_inl.h"
#undef GW_VEC_AVX2
}  // namespace

const LossKernels* loss_kernels_avx2() {
  static const LossKernels table = make_loss_table("avx2");
  return &table;
}

}  // namespace gw
