// dropout ops at the binding boundary: validate arguments, return a task.
//
// dropout_forward(x, y, n, p, seed, stream, step) / dropout_forward(x, y, n, p, hp)
// dropout_backward(dy, dx, n, p, seed, stream, step) / dropout_backward(dy, dx, n, p, hp)
// seed and stream are integers in [0, 2^32); step is an integer in [0, 2^53).
// With hp = Float64Array [seed, stream, step] the values are read when the
// task runs (a compiled program advances the step between runs), and checked then.
// hp may hold a fourth value, the element offset: element i then takes the mask
// of element offset + i (data-parallel ranks pass the global position of their
// first sample, so N ranks draw the masks of one process).
#include <string>

#include "binding/args.h"
#include "binding/mask_args.h"
#include "kernels/dropout.h"

namespace gwb {
namespace {

constexpr std::int64_t kMaxElems = std::int64_t{1} << 40;

// (src, dst, n, p, seed, stream, step) or (src, dst, n, p, hp); src/dst named per op.
Task dropout_op(Args& a, const char* src_name, const char* dst_name) {
  F32 src = a.f32(0, src_name);
  F32 dst = a.f32(1, dst_name);
  const std::size_t n = static_cast<std::size_t>(a.integer(2, "n", 0, kMaxElems));
  const MaskArgs mask = mask_args(a, 3, "p = 1 would drop everything; skip the layer instead");
  const std::string shape = shape_of({n});
  a.require_size(src, src_name, n, shape);
  a.require_size(dst, dst_name, n, shape);
  if (mask.from_hp) return [=] { gw::dropout_apply_at(src.data, dst.data, n, mask.get(), mask.offset()); };
  const gw::DropoutParams params = mask.get();
  return [=] { gw::dropout_apply(src.data, dst.data, n, params); };
}

Task dropout_forward(Args& a) { return dropout_op(a, "x", "y"); }
Task dropout_backward(Args& a) { return dropout_op(a, "dy", "dx"); }

}  // namespace

void register_dropout_ops() {
  register_op("dropout_forward", dropout_forward);
  register_op("dropout_backward", dropout_backward);
}

}  // namespace gwb
