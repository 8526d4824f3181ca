// losses: avx512 kernels.
#include "kernels/losses.h"

namespace gw {

const LossKernels* loss_kernels_avx512() { return nullptr; }

}  // namespace gw
