// norms: sse2 kernels.
#include "kernels/norms.h"

namespace gw {

const NormKernels* norm_kernels_sse2() { return nullptr; }

}  // namespace gw
