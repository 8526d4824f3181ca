// dropout: avx512 kernels.
#include "kernels/dropout.h"

namespace gw {

const DropoutKernels* dropout_kernels_avx512() { return nullptr; }

}  // namespace gw
