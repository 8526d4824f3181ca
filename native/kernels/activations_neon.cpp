// activations: neon kernels.
#include "kernels/activations.h"

namespace gw {

const ActivationKernels* activation_kernels_neon() { return nullptr; }

}  // namespace gw
