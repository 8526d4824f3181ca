// activations: sse2 kernels.
#include "kernels/activations.h"

namespace gw {

const ActivationKernels* activation_kernels_sse2() { return nullptr; }

}  // namespace gw
