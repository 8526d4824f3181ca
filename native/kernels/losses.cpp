// Drivers for losses: split work across threads, call the active ISA's kernels.
#include "kernels/losses.h"

#include "core/isa.h"
#include "core/threads.h"

namespace gw {

const LossKernels& loss_kernels() { return GW_PICK(loss_kernels); }

}  // namespace gw
