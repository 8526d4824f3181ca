// activations ops at the binding boundary: validate arguments, return a task.
#include "binding/args.h"
#include "kernels/activations.h"

namespace gwb {

void register_activation_ops() {}

}  // namespace gwb
