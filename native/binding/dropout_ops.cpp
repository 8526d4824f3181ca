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
#include <cmath>
#include <stdexcept>
#include <string>

#include "binding/args.h"
#include "kernels/dropout.h"

namespace gwb {
namespace {

constexpr std::int64_t kMaxElems = std::int64_t{1} << 40;
constexpr std::int64_t kMaxU32 = 0xFFFFFFFFll;
constexpr double kMaxStep = 9007199254740991.0;  // 2^53 - 1

// Checks one hyper-parameter read from hp when the task runs.
double checked_hp(const std::string& op, const double* hp, int i, const char* name, double max) {
  const double v = hp[i];
  if (!(v >= 0.0 && v <= max && v == std::floor(v))) {
    throw std::range_error(op + ": hp[" + std::to_string(i) + "] (" + name + ") must be an integer in [0, " +
                           (max == kMaxStep ? std::string("2^53)") : std::string("2^32)")) + ", received " +
                           std::to_string(v));
  }
  return v;
}

// (src, dst, n, p, seed, stream, step) or (src, dst, n, p, hp); src/dst named per op.
Task dropout_op(Args& a, const char* src_name, const char* dst_name) {
  F32 src = a.f32(0, src_name);
  F32 dst = a.f32(1, dst_name);
  const std::size_t n = static_cast<std::size_t>(a.integer(2, "n", 0, kMaxElems));
  const double p = a.number(3, "p");
  if (!(p >= 0.0 && p < 1.0)) {
    a.range_error("argument 'p' must be in [0, 1), received " + std::to_string(p) +
                  (p == 1.0 ? " (p = 1 would drop everything; skip the layer instead)" : ""));
  }
  const std::string shape = shape_str({static_cast<std::int64_t>(n)});
  a.require_size(src, src_name, n, shape);
  a.require_size(dst, dst_name, n, shape);

  if (a.count() == 5) {
    F64 hp = a.f64(4, "hp");
    if (hp.size < 3) {
      a.range_error("argument 'hp' must hold [seed, stream, step] (3 elements), received " + std::to_string(hp.size));
    }
    const std::string op = a.op();
    return [=] {
      const double seed = checked_hp(op, hp.data, 0, "seed", static_cast<double>(kMaxU32));
      const double stream = checked_hp(op, hp.data, 1, "stream", static_cast<double>(kMaxU32));
      const double step = checked_hp(op, hp.data, 2, "step", kMaxStep);
      const double offset = hp.size >= 4 ? checked_hp(op, hp.data, 3, "offset", kMaxStep) : 0.0;
      const gw::DropoutParams params = gw::dropout_params(p, static_cast<std::uint32_t>(seed),
                                                          static_cast<std::uint32_t>(stream),
                                                          static_cast<std::uint64_t>(step));
      gw::dropout_apply_at(src.data, dst.data, n, params, static_cast<std::uint64_t>(offset));
    };
  }
  const auto seed = static_cast<std::uint32_t>(a.integer(4, "seed", 0, kMaxU32));
  const auto stream = static_cast<std::uint32_t>(a.integer(5, "stream", 0, kMaxU32));
  const auto step = static_cast<std::uint64_t>(a.integer(6, "step", 0, static_cast<std::int64_t>(kMaxStep)));
  const gw::DropoutParams params = gw::dropout_params(p, seed, stream, step);
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
