// gemm: avx512 kernels.
#include "kernels/gemm.h"

namespace gw {

const GemmKernels* gemm_kernels_avx512() { return nullptr; }

}  // namespace gw
