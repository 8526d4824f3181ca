// norms: avx512 kernels.
#include "kernels/norms.h"

namespace gw {

const NormKernels* norm_kernels_avx512() { return nullptr; }

}  // namespace gw
