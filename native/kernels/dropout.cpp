// Drivers for dropout: split work across threads, call the active ISA's kernels.
#include "kernels/dropout.h"

#include "core/isa.h"
#include "core/threads.h"

namespace gw {

const DropoutKernels& dropout_kernels() { return GW_PICK(dropout_kernels); }

}  // namespace gw
