// losses: plain scalar reference kernels.
#include "kernels/losses.h"

namespace gw {

const LossKernels& loss_kernels_scalar() {
  static const LossKernels table{"scalar"};
  return table;
}

}  // namespace gw
