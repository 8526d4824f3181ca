// gemm: sse2 kernels.
#include "kernels/gemm.h"

namespace gw {

const GemmKernels* gemm_kernels_sse2() { return nullptr; }

}  // namespace gw
