// optim ops at the binding boundary: validate arguments, return a task.
#include "binding/args.h"
#include "kernels/optim.h"

namespace gwb {

void register_optim_ops() {}

}  // namespace gwb
