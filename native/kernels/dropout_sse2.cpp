// dropout: sse2 kernels.
#include "kernels/dropout.h"

namespace gw {

const DropoutKernels* dropout_kernels_sse2() { return nullptr; }

}  // namespace gw
