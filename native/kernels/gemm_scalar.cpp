// gemm: plain scalar reference. No micro-kernel (mr = nr = 0): the driver runs
// the straightforward row-by-row loop of gemm_small_generic on every problem.
#include "kernels/gemm.h"
#include "kernels/gemm_generic_inl.h"

namespace gw {

const GemmKernels& gemm_kernels_scalar() {
  static const GemmKernels table{"scalar", 0, 0, 0, 0, 0, nullptr, nullptr, nullptr, 0, nullptr,
                                   gemm_small_generic};
  return table;
}

}  // namespace gw
