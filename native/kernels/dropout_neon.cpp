// dropout: neon kernels.
#include "kernels/dropout.h"

namespace gw {

const DropoutKernels* dropout_kernels_neon() { return nullptr; }

}  // namespace gw
