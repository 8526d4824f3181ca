// optim: plain scalar reference kernels.
#include "kernels/optim.h"

namespace gw {

const OptimKernels& optim_kernels_scalar() {
  static const OptimKernels table{"scalar"};
  return table;
}

}  // namespace gw
