// gemm: NEON kernels. Not specialised yet: arm64 uses the scalar reference
// path (the driver and table work unchanged once a micro-kernel is added here).
#include "kernels/gemm.h"

namespace gw {

const GemmKernels* gemm_kernels_neon() { return nullptr; }

}  // namespace gw
