// dropconnect ops at the binding boundary: validate arguments, return a task.
//
// dropconnect_forward(x, w, bias|null, y, rows, inFeatures, outFeatures, activation, p, seed, stream, step)
// dropconnect_backward_input(dy, w, dx, rows, inFeatures, outFeatures, p, seed, stream, step)
// dropconnect_backward_weight(x, dy, dw, rows, inFeatures, outFeatures, p, seed, stream, step)
// Each also takes hp = Float64Array [seed, stream, step] in place of the last
// three (read and checked when the task runs: a compiled program advances the step).
// seed and stream are integers in [0, 2^32); step is an integer in [0, 2^53); p in [0, 1).
#include <cmath>
#include <stdexcept>
#include <string>

#include "binding/args.h"
#include "kernels/dropconnect.h"

namespace gwb {
namespace {

constexpr std::int64_t kMaxDim = std::int64_t{1} << 31;  // as gemm_ops.cpp: products of two fit 64 bits
constexpr std::int64_t kMaxU32 = 0xFFFFFFFFll;
constexpr double kMaxStep = 9007199254740991.0;  // 2^53 - 1

std::size_t dim_arg(Args& a, std::size_t i, const char* name) {
  return static_cast<std::size_t>(a.integer(i, name, 0, kMaxDim));
}

std::string shape2(std::size_t r, std::size_t c) {
  return shape_str({static_cast<std::int64_t>(r), static_cast<std::int64_t>(c)});
}

bool overlaps(const float* p, std::size_t n, const float* q, std::size_t m) {
  if (!p || !q || n == 0 || m == 0) return false;
  return p < q + m && q < p + n;
}

double checked_hp(const std::string& op, const double* hp, int i, const char* name, double max) {
  const double v = hp[i];
  if (!(v >= 0.0 && v <= max && v == std::floor(v))) {
    throw std::range_error(op + ": hp[" + std::to_string(i) + "] (" + name + ") must be an integer in [0, " +
                           (max == kMaxStep ? std::string("2^53)") : std::string("2^32)")) + ", received " +
                           std::to_string(v));
  }
  return v;
}

// The mask parameters: p at argument i, then (seed, stream, step) or hp.
// Returns a function giving the DropoutParams when the task runs.
struct MaskArgs {
  double p;
  bool from_hp;
  F64 hp;
  gw::DropoutParams fixed;
  std::string op;
  gw::DropoutParams get() const {
    if (!from_hp) return fixed;
    const double seed = checked_hp(op, hp.data, 0, "seed", static_cast<double>(kMaxU32));
    const double stream = checked_hp(op, hp.data, 1, "stream", static_cast<double>(kMaxU32));
    const double step = checked_hp(op, hp.data, 2, "step", kMaxStep);
    return gw::dropout_params(p, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(stream),
                              static_cast<std::uint64_t>(step));
  }
};

MaskArgs mask_args(Args& a, std::size_t i) {
  MaskArgs m{};
  m.op = a.op();
  m.p = a.number(i, "p");
  if (!(m.p >= 0.0 && m.p < 1.0)) {
    a.range_error("argument 'p' must be in [0, 1), received " + std::to_string(m.p) +
                  (m.p == 1.0 ? " (p = 1 would drop every weight)" : ""));
  }
  if (a.count() == i + 2) {
    m.from_hp = true;
    m.hp = a.f64(i + 1, "hp");
    if (m.hp.size < 3) {
      a.range_error("argument 'hp' must hold [seed, stream, step] (3 elements), received " + std::to_string(m.hp.size));
    }
    return m;
  }
  m.from_hp = false;
  m.hp = F64{nullptr, 0};
  const auto seed = static_cast<std::uint32_t>(a.integer(i + 1, "seed", 0, kMaxU32));
  const auto stream = static_cast<std::uint32_t>(a.integer(i + 2, "stream", 0, kMaxU32));
  const auto step = static_cast<std::uint64_t>(a.integer(i + 3, "step", 0, static_cast<std::int64_t>(kMaxStep)));
  m.fixed = gw::dropout_params(m.p, seed, stream, step);
  return m;
}

Task dropconnect_forward(Args& a) {
  F32 x = a.f32(0, "x");
  F32 w = a.f32(1, "w");
  F32 bias = a.f32_or_null(2, "bias");
  F32 y = a.f32(3, "y");
  const std::size_t rows = dim_arg(a, 4, "rows");
  const std::size_t in = dim_arg(a, 5, "inFeatures");
  const std::size_t out = dim_arg(a, 6, "outFeatures");
  const std::string activation = a.string(7, "activation");
  bool relu = false;
  if (activation == "relu") {
    relu = true;
  } else if (activation != "none") {
    a.range_error("argument 'activation' must be \"none\" or \"relu\", received \"" + activation + "\"");
  }
  const MaskArgs mask = mask_args(a, 8);
  a.require_size(x, "x", rows * in, shape2(rows, in));
  a.require_size(w, "w", in * out, shape2(in, out));
  a.require_size(y, "y", rows * out, shape2(rows, out));
  if (bias.data || bias.size) a.require_size(bias, "bias", out, shape_str({static_cast<std::int64_t>(out)}));
  const bool has_bias = !a.is_undefined(2) && bias.size >= out;
  if (overlaps(y.data, rows * out, x.data, rows * in) || overlaps(y.data, rows * out, w.data, in * out) ||
      (has_bias && overlaps(y.data, rows * out, bias.data, out))) {
    a.range_error("argument 'y' overlaps an input in memory; the output must not alias an input");
  }
  const float* pb = has_bias ? bias.data : nullptr;
  if (rows == 0 || out == 0) return [] {};
  return [=] { gw::dropconnect_forward(x.data, w.data, pb, y.data, rows, in, out, relu, mask.get()); };
}

Task dropconnect_backward_input(Args& a) {
  F32 dy = a.f32(0, "dy");
  F32 w = a.f32(1, "w");
  F32 dx = a.f32(2, "dx");
  const std::size_t rows = dim_arg(a, 3, "rows");
  const std::size_t in = dim_arg(a, 4, "inFeatures");
  const std::size_t out = dim_arg(a, 5, "outFeatures");
  const MaskArgs mask = mask_args(a, 6);
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
  const MaskArgs mask = mask_args(a, 6);
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
