// optim: sse2 kernels.
#include "kernels/optim.h"

namespace gw {

const OptimKernels* optim_kernels_sse2() { return nullptr; }

}  // namespace gw
