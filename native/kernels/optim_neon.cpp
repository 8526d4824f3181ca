// optim: neon kernels.
#include "kernels/optim.h"

namespace gw {

const OptimKernels* optim_kernels_neon() { return nullptr; }

}  // namespace gw
