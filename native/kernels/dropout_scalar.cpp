// dropout: plain scalar reference kernels.
#include "kernels/dropout.h"

namespace gw {

const DropoutKernels& dropout_kernels_scalar() {
  static const DropoutKernels table{"scalar"};
  return table;
}

}  // namespace gw
