// gemm: plain scalar reference kernels.
#include "kernels/gemm.h"

namespace gw {

const GemmKernels& gemm_kernels_scalar() {
  static const GemmKernels table{"scalar"};
  return table;
}

}  // namespace gw
