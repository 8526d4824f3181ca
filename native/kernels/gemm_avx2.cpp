// gemm: avx2 kernels.
#include "kernels/gemm.h"

namespace gw {

const GemmKernels* gemm_kernels_avx2() { return nullptr; }

}  // namespace gw
