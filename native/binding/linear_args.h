// The arguments of a dense layer's forward op, shared by linear_forward and
// dropconnect_forward: (x, w, bias|null, y, rows, inFeatures, outFeatures,
// activation = "none" | "relu", ...), x [rows, in], w [in, out], bias [out], y [rows, out].
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "binding/args.h"

namespace gwb {

struct LinearArgs {
  F32 x, w, y;
  const float* bias;  // nullptr: no bias
  std::size_t rows, in, out;
  bool relu;
};

inline LinearArgs linear_args(Args& a) {
  constexpr std::int64_t kMaxDim = std::int64_t{1} << 31;  // as gemm_ops.cpp: products of two fit 64 bits
  LinearArgs l{};
  l.x = a.f32(0, "x");
  l.w = a.f32(1, "w");
  F32 bias = a.f32_or_null(2, "bias");
  l.y = a.f32(3, "y");
  l.rows = a.dim(4, "rows", 0, kMaxDim);
  l.in = a.dim(5, "inFeatures", 0, kMaxDim);
  l.out = a.dim(6, "outFeatures", 0, kMaxDim);
  const std::string activation = a.is_undefined(7) ? std::string("none") : a.string(7, "activation");
  if (activation == "relu") {
    l.relu = true;
  } else if (activation != "none") {
    a.range_error("argument 'activation' must be \"none\" or \"relu\", received \"" + activation + "\"");
  }
  const std::size_t rows = l.rows, in = l.in, out = l.out;
  a.require_size(l.x, "x", rows * in, shape_of({rows, in}));
  a.require_size(l.w, "w", in * out, shape_of({in, out}));
  a.require_size(l.y, "y", rows * out, shape_of({rows, out}));
  if (bias.data || bias.size) a.require_size(bias, "bias", out, shape_of({out}));
  const bool has_bias = !a.is_undefined(2) && bias.size >= out;
  if (overlaps(l.y.data, rows * out, l.x.data, rows * in) || overlaps(l.y.data, rows * out, l.w.data, in * out) ||
      (has_bias && overlaps(l.y.data, rows * out, bias.data, out))) {
    a.range_error("argument 'y' overlaps an input in memory; the output must not alias an input");
  }
  l.bias = has_bias ? bias.data : nullptr;
  return l;
}

}  // namespace gwb
