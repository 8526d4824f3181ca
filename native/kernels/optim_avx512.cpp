// optim: avx512 kernels.
#include "kernels/optim.h"

namespace gw {

const OptimKernels* optim_kernels_avx512() { return nullptr; }

}  // namespace gw
