// losses ops at the binding boundary: validate arguments, return a task.
#include "binding/args.h"
#include "kernels/losses.h"

namespace gwb {

void register_loss_ops() {}

}  // namespace gwb
