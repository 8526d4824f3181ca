// dropout: avx2 kernels.
#include "kernels/dropout.h"

namespace gw {

const DropoutKernels* dropout_kernels_avx2() { return nullptr; }

}  // namespace gw
