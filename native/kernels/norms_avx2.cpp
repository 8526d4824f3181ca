// norms: avx2 kernels.
#include "kernels/norms.h"

namespace gw {

const NormKernels* norm_kernels_avx2() { return nullptr; }

}  // namespace gw
