// dropconnect ops at the binding boundary: validate arguments, return a task.
//
// dropconnect_forward(x, w, bias|null, y, rows, inFeatures, outFeatures, activation, p, seed, stream, step)
// dropconnect_backward_input(dy, w, dx, rows, inFeatures, outFeatures, p, seed, stream, step)
// dropconnect_backward_weight(x, dy, dw, rows, inFeatures, outFeatures, p, seed, stream, step)
// Each also takes hp = Float64Array [seed, stream, step] in place of the last
// three (read and checked when the task runs: a compiled program advances the step).
// seed and stream are integers in [0, 2^32); step is an integer in [0, 2^53); p in [0, 1).
#include <string>

#include "binding/args.h"
#include "binding/linear_args.h"
#include "binding/mask_args.h"
#include "kernels/dropconnect.h"

namespace gwb {
namespace {

constexpr std::int64_t kMaxDim = std::int64_t{1} << 31;  // as gemm_ops.cpp: products of two fit 64 bits

std::size_t dim_arg(Args& a, std::size_t i, const char* name) { return a.dim(i, name, 0, kMaxDim); }
std::string shape2(std::size_t r, std::size_t c) { return shape_of({r, c}); }
constexpr const char* kPOneNote = "p = 1 would drop every weight";

Task dropconnect_forward(Args& a) {
  const LinearArgs l = linear_args(a);
  const MaskArgs mask = mask_args(a, 8, kPOneNote);
  if (l.rows == 0 || l.out == 0) return [] {};
  return [=] {
    gw::dropconnect_forward(l.x.data, l.w.data, l.bias, l.y.data, l.rows, l.in, l.out, l.relu, mask.get());
  };
}

// The backward ops' (in0, in1, out, rows, inFeatures, outFeatures, key...): each buffer is a
// [rows, in], [rows, out] or [in, out] matrix; the output must not overlap the inputs.
enum class Mat { kRowsIn, kRowsOut, kInOut };
struct MatArg {
  const char* name;
  Mat mat;
};
struct BackwardArgs {
  F32 t[3];
  std::size_t rows, in, out;
  MaskArgs mask;
};
BackwardArgs backward_args(Args& a, MatArg in0, MatArg in1, MatArg out) {
  const MatArg m[3] = {in0, in1, out};
  BackwardArgs g{};
  for (std::size_t i = 0; i < 3; ++i) g.t[i] = a.f32(i, m[i].name);
  g.rows = dim_arg(a, 3, "rows");
  g.in = dim_arg(a, 4, "inFeatures");
  g.out = dim_arg(a, 5, "outFeatures");
  g.mask = mask_args(a, 6, kPOneNote);
  std::size_t n[3];
  for (std::size_t i = 0; i < 3; ++i) {
    const std::size_t r = m[i].mat == Mat::kInOut ? g.in : g.rows, c = m[i].mat == Mat::kRowsIn ? g.in : g.out;
    n[i] = r * c;
    a.require_size(g.t[i], m[i].name, n[i], shape2(r, c));
  }
  if (overlaps(g.t[2].data, n[2], g.t[0].data, n[0]) || overlaps(g.t[2].data, n[2], g.t[1].data, n[1])) {
    a.range_error(std::string("argument '") + out.name + "' overlaps an input in memory; the output must not alias an input");
  }
  return g;
}

Task dropconnect_backward_input(Args& a) {
  const BackwardArgs g = backward_args(a, {"dy", Mat::kRowsOut}, {"w", Mat::kInOut}, {"dx", Mat::kRowsIn});
  if (g.rows == 0 || g.in == 0) return [] {};
  return [=] { gw::dropconnect_backward_input(g.t[0].data, g.t[1].data, g.t[2].data, g.rows, g.in, g.out, g.mask.get()); };
}

Task dropconnect_backward_weight(Args& a) {
  const BackwardArgs g = backward_args(a, {"x", Mat::kRowsIn}, {"dy", Mat::kRowsOut}, {"dw", Mat::kInOut});
  if (g.in == 0 || g.out == 0) return [] {};
  return [=] { gw::dropconnect_backward_weight(g.t[0].data, g.t[1].data, g.t[2].data, g.rows, g.in, g.out, g.mask.get()); };
}

}  // namespace

void register_dropconnect_ops() {
  register_op("dropconnect_forward", dropconnect_forward);
  register_op("dropconnect_backward_input", dropconnect_backward_input);
  register_op("dropconnect_backward_weight", dropconnect_backward_weight);
}

}  // namespace gwb
