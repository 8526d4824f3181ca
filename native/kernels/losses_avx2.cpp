// losses: avx2 kernels.
#include "kernels/losses.h"

namespace gw {

const LossKernels* loss_kernels_avx2() { return nullptr; }

}  // namespace gw
