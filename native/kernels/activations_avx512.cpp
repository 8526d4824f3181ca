// activations: avx512 kernels.
#include "kernels/activations.h"

namespace gw {

const ActivationKernels* activation_kernels_avx512() { return nullptr; }

}  // namespace gw
