// losses: sse2 kernels.
#include "kernels/losses.h"

namespace gw {

const LossKernels* loss_kernels_sse2() { return nullptr; }

}  // namespace gw
