// norms: plain scalar reference kernels.
#include "kernels/norms.h"

namespace gw {

const NormKernels& norm_kernels_scalar() {
  static const NormKernels table{"scalar"};
  return table;
}

}  // namespace gw
