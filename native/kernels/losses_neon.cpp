// losses: neon kernels.
#include "kernels/losses.h"

namespace gw {

const LossKernels* loss_kernels_neon() { return nullptr; }

}  // namespace gw
