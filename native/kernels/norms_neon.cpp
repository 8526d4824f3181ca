// norms: neon kernels.
#include "kernels/norms.h"

namespace gw {

const NormKernels* norm_kernels_neon() { return nullptr; }

}  // namespace gw
