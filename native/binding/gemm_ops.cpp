// gemm ops at the binding boundary: validate arguments, return a task.
#include "binding/args.h"
#include "kernels/gemm.h"

namespace gwb {

void register_gemm_ops() {}

}  // namespace gwb
