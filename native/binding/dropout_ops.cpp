// dropout ops at the binding boundary: validate arguments, return a task.
#include "binding/args.h"
#include "kernels/dropout.h"

namespace gwb {

void register_dropout_ops() {}

}  // namespace gwb
