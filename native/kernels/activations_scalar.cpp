// activations: plain scalar reference kernels.
#include "kernels/activations.h"

namespace gw {

const ActivationKernels& activation_kernels_scalar() {
  static const ActivationKernels table{"scalar"};
  return table;
}

}  // namespace gw
