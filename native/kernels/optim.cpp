// Drivers for optim: split work across threads, call the active ISA's kernels.
#include "kernels/optim.h"

#include "core/isa.h"
#include "core/threads.h"

namespace gw {

const OptimKernels& optim_kernels() { return GW_PICK(optim_kernels); }

}  // namespace gw
