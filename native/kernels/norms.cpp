// Drivers for norms: split work across threads, call the active ISA's kernels.
#include "kernels/norms.h"

#include "core/isa.h"
#include "core/threads.h"

namespace gw {

const NormKernels& norm_kernels() { return GW_PICK(norm_kernels); }

}  // namespace gw
