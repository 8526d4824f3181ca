// activations: avx2 kernels.
#include "kernels/activations.h"

namespace gw {

const ActivationKernels* activation_kernels_avx2() { return nullptr; }

}  // namespace gw
