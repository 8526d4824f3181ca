// Drivers for activations: split work across threads, call the active ISA's kernels.
#include "kernels/activations.h"

#include "core/isa.h"
#include "core/threads.h"

namespace gw {

const ActivationKernels& activation_kernels() { return GW_PICK(activation_kernels); }

}  // namespace gw
