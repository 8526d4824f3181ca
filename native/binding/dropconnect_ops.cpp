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

Task dropconnect_backward_input(Args& a) {
  F32 dy = a.f32(0, "dy");
  F32 w = a.f32(1, "w");
  F32 dx = a.f32(2, "dx");
  const std::size_t rows = dim_arg(a, 3, "rows");
  const std::size_t in = dim_arg(a, 4, "inFeatures");
  const std::size_t out = dim_arg(a, 5, "outFeatures");
  const MaskArgs mask = mask_args(a, 6, kPOneNote);
  a.require_size(dy, "dy", rows * out, shape2(rows, out));
  a.require_size(w, "w", in * out, shape2(in, out));
  a.require_size(dx, "dx", rows * in, shape2(rows, in));
  if (overlaps(dx.data, rows * in, dy.data, rows * out) || overlaps(dx.data, rows * in, w.data, in * out)) {
    a.range_error("argument 'dx' overlaps an input in memory; the output must not alias an input");
  }
  if (rows == 0 || in == 0) return [] {};
  return [=] { gw::dropconnect_backward_input(dy.data, w.data, dx.data, rows, in, out, mask.get()); };
}

Task dropconnect_backward_weight(Args& a) {
  F32 x = a.f32(0, "x");
  F32 dy = a.f32(1, "dy");
  F32 dw = a.f32(2, "dw");
  const std::size_t rows = dim_arg(a, 3, "rows");
  const std::size_t in = dim_arg(a, 4, "inFeatures");
  const std::size_t out = dim_arg(a, 5, "outFeatures");
  const MaskArgs mask = mask_args(a, 6, kPOneNote);
  a.require_size(x, "x", rows * in, shape2(rows, in));
  a.require_size(dy, "dy", rows * out, shape2(rows, out));
  a.require_size(dw, "dw", in * out, shape2(in, out));
  if (overlaps(dw.data, in * out, x.data, rows * in) || overlaps(dw.data, in * out, dy.data, rows * out)) {
    a.range_error("argument 'dw' overlaps an input in memory; the output must not alias an input");
  }
  if (in == 0 || out == 0) return [] {};
  return [=] { gw::dropconnect_backward_weight(x.data, dy.data, dw.data, rows, in, out, mask.get()); };
}

}  // namespace

void register_dropconnect_ops() {
  register_op("dropconnect_forward", dropconnect_forward);
  register_op("dropconnect_backward_input", dropconnect_backward_input);
  register_op("dropconnect_backward_weight", dropconnect_backward_weight);
}

}  // namespace gwb
