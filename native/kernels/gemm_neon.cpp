// gemm: neon kernels.
#include "kernels/gemm.h"

namespace gw {

const GemmKernels* gemm_kernels_neon() { return nullptr; }

}  // namespace gw
