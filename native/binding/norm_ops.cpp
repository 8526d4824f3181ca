// norms ops at the binding boundary: validate arguments, return a task.
// x is (N, C, L) row-major ((N, C) is L = 1); see native/OPS.md.
#include <cstdint>
#include <cstdio>
#include <string>

#include "binding/args.h"
#include "kernels/norms.h"

namespace gwb {
namespace {

constexpr std::int64_t kMaxDim = std::int64_t{1} << 40;

// Shortest faithful text of a number ("1e-09", "1.5"), unlike std::to_string's fixed six decimals.
std::string num_str(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::size_t dim_arg(Args& a, std::size_t i, const char* name) {
  return static_cast<std::size_t>(a.integer(i, name, 1, kMaxDim));
}

// Product of dims, with a RangeError instead of a silent overflow.
std::size_t checked_product(Args& a, std::initializer_list<std::size_t> dims, const std::string& what) {
  std::size_t p = 1;
  for (std::size_t d : dims) {
    if (d != 0 && p > (std::size_t{1} << 62) / d) a.range_error(what + " is too large");
    p *= d;
  }
  return p;
}

std::string shape3(std::size_t N, std::size_t C, std::size_t L) {
  return shape_str({static_cast<std::int64_t>(N), static_cast<std::int64_t>(C), static_cast<std::int64_t>(L)});
}
std::string shape1(std::size_t n) { return shape_str({static_cast<std::int64_t>(n)}); }

double eps_arg(Args& a, std::size_t i) {
  const double eps = a.number(i, "eps");
  if (!(eps > 0.0)) a.range_error("argument 'eps' must be > 0, received " + num_str(eps));
  return eps;
}

// An optional buffer that, when given, must hold `n` elements.
F32 optional_sized(Args& a, std::size_t i, const char* name, std::size_t n, const std::string& shape) {
  F32 t = a.f32_or_null(i, name);
  if (t.data) a.require_size(t, name, n, shape);
  return t;
}

F32 sized(Args& a, std::size_t i, const char* name, std::size_t n, const std::string& shape) {
  F32 t = a.f32(i, name);
  a.require_size(t, name, n, shape);
  return t;
}

// batchnorm_forward_train(x, y, gamma, beta, runningMean, runningVar, saveMean, saveInvStd, N, C, L, momentum, eps)
Task batchnorm_forward_train(Args& a) {
  const std::size_t N = dim_arg(a, 8, "N"), C = dim_arg(a, 9, "C"), L = dim_arg(a, 10, "L");
  const std::size_t total = checked_product(a, {N, C, L}, "N*C*L");
  const std::string shape = shape3(N, C, L), cshape = shape1(C);
  F32 x = sized(a, 0, "x", total, shape);
  F32 y = sized(a, 1, "y", total, shape);
  F32 gamma = optional_sized(a, 2, "gamma", C, cshape);
  F32 beta = optional_sized(a, 3, "beta", C, cshape);
  F32 rmean = optional_sized(a, 4, "runningMean", C, cshape);
  F32 rvar = optional_sized(a, 5, "runningVar", C, cshape);
  F32 smean = optional_sized(a, 6, "saveMean", C, cshape);
  F32 sinv = optional_sized(a, 7, "saveInvStd", C, cshape);
  const double momentum = a.number(11, "momentum");
  if (momentum < 0.0 || momentum > 1.0) a.range_error("argument 'momentum' must be in [0, 1], received " + num_str(momentum));
  const double eps = eps_arg(a, 12);
  if (N * L < 2) {
    a.range_error("expected more than 1 value per channel when training, got input of shape " + shape);
  }
  return [=] {
    gw::batchnorm_forward_train(x.data, y.data, gamma.data, beta.data, rmean.data, rvar.data, smean.data, sinv.data, N, C,
                                L, momentum, eps);
  };
}

// batchnorm_forward_eval(x, y, gamma, beta, runningMean, runningVar, N, C, L, eps)
Task batchnorm_forward_eval(Args& a) {
  const std::size_t N = dim_arg(a, 6, "N"), C = dim_arg(a, 7, "C"), L = dim_arg(a, 8, "L");
  const std::size_t total = checked_product(a, {N, C, L}, "N*C*L");
  const std::string shape = shape3(N, C, L), cshape = shape1(C);
  F32 x = sized(a, 0, "x", total, shape);
  F32 y = sized(a, 1, "y", total, shape);
  F32 gamma = optional_sized(a, 2, "gamma", C, cshape);
  F32 beta = optional_sized(a, 3, "beta", C, cshape);
  F32 rmean = sized(a, 4, "runningMean", C, cshape);
  F32 rvar = sized(a, 5, "runningVar", C, cshape);
  const double eps = eps_arg(a, 9);
  return [=] { gw::batchnorm_forward_eval(x.data, y.data, gamma.data, beta.data, rmean.data, rvar.data, N, C, L, eps); };
}

// batchnorm_backward(x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, N, C, L)
Task batchnorm_backward(Args& a) {
  const std::size_t N = dim_arg(a, 8, "N"), C = dim_arg(a, 9, "C"), L = dim_arg(a, 10, "L");
  const std::size_t total = checked_product(a, {N, C, L}, "N*C*L");
  const std::string shape = shape3(N, C, L), cshape = shape1(C);
  F32 x = sized(a, 0, "x", total, shape);
  F32 dy = sized(a, 1, "dy", total, shape);
  F32 dx = optional_sized(a, 2, "dx", total, shape);
  F32 gamma = optional_sized(a, 3, "gamma", C, cshape);
  F32 dgamma = optional_sized(a, 4, "dgamma", C, cshape);
  F32 dbeta = optional_sized(a, 5, "dbeta", C, cshape);
  F32 smean = sized(a, 6, "saveMean", C, cshape);
  F32 sinv = sized(a, 7, "saveInvStd", C, cshape);
  return [=] {
    gw::batchnorm_backward(x.data, dy.data, dx.data, gamma.data, dgamma.data, dbeta.data, smean.data, sinv.data, N, C, L);
  };
}

// batchnorm_backward_eval(x, dy, dx, gamma, dgamma, dbeta, runningMean, runningVar, N, C, L, eps)
Task batchnorm_backward_eval(Args& a) {
  const std::size_t N = dim_arg(a, 8, "N"), C = dim_arg(a, 9, "C"), L = dim_arg(a, 10, "L");
  const std::size_t total = checked_product(a, {N, C, L}, "N*C*L");
  const std::string shape = shape3(N, C, L), cshape = shape1(C);
  F32 x = sized(a, 0, "x", total, shape);
  F32 dy = sized(a, 1, "dy", total, shape);
  F32 dx = optional_sized(a, 2, "dx", total, shape);
  F32 gamma = optional_sized(a, 3, "gamma", C, cshape);
  F32 dgamma = optional_sized(a, 4, "dgamma", C, cshape);
  F32 dbeta = optional_sized(a, 5, "dbeta", C, cshape);
  F32 rmean = sized(a, 6, "runningMean", C, cshape);
  F32 rvar = sized(a, 7, "runningVar", C, cshape);
  const double eps = eps_arg(a, 11);
  return [=] {
    gw::batchnorm_backward_eval(x.data, dy.data, dx.data, gamma.data, dgamma.data, dbeta.data, rmean.data, rvar.data, N,
                                C, L, eps);
  };
}

// layernorm_forward(x, y, gamma, beta, saveMean, saveInvStd, rows, cols, eps)
Task layernorm_forward(Args& a) {
  const std::size_t rows = dim_arg(a, 6, "rows"), cols = dim_arg(a, 7, "cols");
  const std::size_t total = checked_product(a, {rows, cols}, "rows*cols");
  const std::string shape = shape_str({static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)});
  F32 x = sized(a, 0, "x", total, shape);
  F32 y = sized(a, 1, "y", total, shape);
  F32 gamma = optional_sized(a, 2, "gamma", cols, shape1(cols));
  F32 beta = optional_sized(a, 3, "beta", cols, shape1(cols));
  F32 smean = optional_sized(a, 4, "saveMean", rows, shape1(rows));
  F32 sinv = optional_sized(a, 5, "saveInvStd", rows, shape1(rows));
  const double eps = eps_arg(a, 8);
  return [=] { gw::layernorm_forward(x.data, y.data, gamma.data, beta.data, smean.data, sinv.data, rows, cols, eps); };
}

// layernorm_backward(x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, rows, cols)
Task layernorm_backward(Args& a) {
  const std::size_t rows = dim_arg(a, 8, "rows"), cols = dim_arg(a, 9, "cols");
  const std::size_t total = checked_product(a, {rows, cols}, "rows*cols");
  const std::string shape = shape_str({static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)});
  F32 x = sized(a, 0, "x", total, shape);
  F32 dy = sized(a, 1, "dy", total, shape);
  F32 dx = optional_sized(a, 2, "dx", total, shape);
  F32 gamma = optional_sized(a, 3, "gamma", cols, shape1(cols));
  F32 dgamma = optional_sized(a, 4, "dgamma", cols, shape1(cols));
  F32 dbeta = optional_sized(a, 5, "dbeta", cols, shape1(cols));
  F32 smean = sized(a, 6, "saveMean", rows, shape1(rows));
  F32 sinv = sized(a, 7, "saveInvStd", rows, shape1(rows));
  return [=] {
    gw::layernorm_backward(x.data, dy.data, dx.data, gamma.data, dgamma.data, dbeta.data, smean.data, sinv.data, rows,
                           cols);
  };
}

void check_groups(Args& a, std::size_t C, std::size_t G) {
  if (C % G != 0) {
    a.range_error("argument 'G' = " + std::to_string(G) + " must divide the channel count C = " + std::to_string(C));
  }
}

// groupnorm_forward(x, y, gamma, beta, saveMean, saveInvStd, N, C, L, G, eps)
Task groupnorm_forward(Args& a) {
  const std::size_t N = dim_arg(a, 6, "N"), C = dim_arg(a, 7, "C"), L = dim_arg(a, 8, "L"), G = dim_arg(a, 9, "G");
  check_groups(a, C, G);
  const std::size_t total = checked_product(a, {N, C, L}, "N*C*L");
  const std::string shape = shape3(N, C, L), cshape = shape1(C);
  const std::size_t units = N * G;
  const std::string ushape = shape_str({static_cast<std::int64_t>(N), static_cast<std::int64_t>(G)});
  F32 x = sized(a, 0, "x", total, shape);
  F32 y = sized(a, 1, "y", total, shape);
  F32 gamma = optional_sized(a, 2, "gamma", C, cshape);
  F32 beta = optional_sized(a, 3, "beta", C, cshape);
  F32 smean = optional_sized(a, 4, "saveMean", units, ushape);
  F32 sinv = optional_sized(a, 5, "saveInvStd", units, ushape);
  const double eps = eps_arg(a, 10);
  return [=] { gw::groupnorm_forward(x.data, y.data, gamma.data, beta.data, smean.data, sinv.data, N, C, L, G, eps); };
}

// groupnorm_backward(x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, N, C, L, G)
Task groupnorm_backward(Args& a) {
  const std::size_t N = dim_arg(a, 8, "N"), C = dim_arg(a, 9, "C"), L = dim_arg(a, 10, "L"), G = dim_arg(a, 11, "G");
  check_groups(a, C, G);
  const std::size_t total = checked_product(a, {N, C, L}, "N*C*L");
  const std::string shape = shape3(N, C, L), cshape = shape1(C);
  const std::size_t units = N * G;
  const std::string ushape = shape_str({static_cast<std::int64_t>(N), static_cast<std::int64_t>(G)});
  F32 x = sized(a, 0, "x", total, shape);
  F32 dy = sized(a, 1, "dy", total, shape);
  F32 dx = optional_sized(a, 2, "dx", total, shape);
  F32 gamma = optional_sized(a, 3, "gamma", C, cshape);
  F32 dgamma = optional_sized(a, 4, "dgamma", C, cshape);
  F32 dbeta = optional_sized(a, 5, "dbeta", C, cshape);
  F32 smean = sized(a, 6, "saveMean", units, ushape);
  F32 sinv = sized(a, 7, "saveInvStd", units, ushape);
  return [=] {
    gw::groupnorm_backward(x.data, dy.data, dx.data, gamma.data, dgamma.data, dbeta.data, smean.data, sinv.data, N, C, L,
                           G);
  };
}

}  // namespace

void register_norm_ops() {
  register_op("batchnorm_forward_train", batchnorm_forward_train);
  register_op("batchnorm_forward_eval", batchnorm_forward_eval);
  register_op("batchnorm_backward", batchnorm_backward);
  register_op("batchnorm_backward_eval", batchnorm_backward_eval);
  register_op("layernorm_forward", layernorm_forward);
  register_op("layernorm_backward", layernorm_backward);
  register_op("groupnorm_forward", groupnorm_forward);
  register_op("groupnorm_backward", groupnorm_backward);
}

}  // namespace gwb
