// Drivers for gemm: split work across threads, call the active ISA's kernels.
#include "kernels/gemm.h"

#include "core/isa.h"
#include "core/threads.h"

namespace gw {

const GemmKernels& gemm_kernels() { return GW_PICK(gemm_kernels); }

}  // namespace gw
