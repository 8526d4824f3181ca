// optim: avx2 kernels.
#include "kernels/optim.h"

namespace gw {

const OptimKernels* optim_kernels_avx2() { return nullptr; }

}  // namespace gw
