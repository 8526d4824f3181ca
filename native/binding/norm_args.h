// The arguments the norm ops share: norm_ops.cpp and the synchronized batch norm of dist_ops.cpp
// (the same argument lists as batchnorm_forward_train and batchnorm_backward).
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "binding/args.h"

namespace gwb {

constexpr std::int64_t kNormMaxDim = std::int64_t{1} << 40;

inline std::size_t norm_dim(Args& a, std::size_t i, const char* name) { return a.dim(i, name, 1, kNormMaxDim); }

// Product of dims, with a RangeError instead of a silent overflow (the product is at most `limit`).
inline std::size_t norm_product(Args& a, std::initializer_list<std::size_t> dims, const std::string& what,
                                std::size_t limit = std::size_t{1} << 62) {
  std::size_t p = 1;
  for (std::size_t d : dims) {
    if (d != 0 && p > limit / d) a.range_error(what + " is too large");
    p *= d;
  }
  return p;
}

inline double eps_arg(Args& a, std::size_t i) {
  const double eps = a.number(i, "eps");
  if (!(eps > 0.0)) a.range_error("argument 'eps' must be > 0, received " + num_str(eps));
  return eps;
}

// (N, C, L) at argument i.
struct NclShape {
  std::size_t N, C, L, total;
  std::string shape, cshape;  // "[N, C, L]", "[C]"
};
inline NclShape ncl_shape(Args& a, std::size_t i, std::size_t limit = std::size_t{1} << 62) {
  NclShape s{};
  s.N = norm_dim(a, i, "N");
  s.C = norm_dim(a, i + 1, "C");
  s.L = norm_dim(a, i + 2, "L");
  s.total = norm_product(a, {s.N, s.C, s.L}, "N*C*L", limit);
  s.shape = shape_of({s.N, s.C, s.L});
  s.cshape = shape_of({s.C});
  return s;
}

// Batch norm in training: (x, y, gamma?, beta?, runningMean?, runningVar?, saveMean, saveInvStd, N, C, L,
// momentum, eps); the saved statistics may be null unless `save_required`.
struct BnTrainArgs {
  NclShape s;
  F32 x, y, gamma, beta, rmean, rvar, smean, sinv;
  double momentum, eps;
};
inline BnTrainArgs bn_train_args(Args& a, bool save_required, std::size_t limit = std::size_t{1} << 62) {
  BnTrainArgs b{};
  b.s = ncl_shape(a, 8, limit);
  const std::size_t total = b.s.total, C = b.s.C;
  const std::string &shape = b.s.shape, &cshape = b.s.cshape;
  b.x = a.sized(0, "x", total, shape);
  b.y = a.sized(1, "y", total, shape);
  b.gamma = a.sized_or_null(2, "gamma", C, cshape);
  b.beta = a.sized_or_null(3, "beta", C, cshape);
  b.rmean = a.sized_or_null(4, "runningMean", C, cshape);
  b.rvar = a.sized_or_null(5, "runningVar", C, cshape);
  b.smean = save_required ? a.sized(6, "saveMean", C, cshape) : a.sized_or_null(6, "saveMean", C, cshape);
  b.sinv = save_required ? a.sized(7, "saveInvStd", C, cshape) : a.sized_or_null(7, "saveInvStd", C, cshape);
  b.momentum = a.number(11, "momentum");
  if (b.momentum < 0.0 || b.momentum > 1.0) {
    a.range_error("argument 'momentum' must be in [0, 1], received " + num_str(b.momentum));
  }
  b.eps = eps_arg(a, 12);
  return b;
}

// The buffers of a norm forward (other than batch norm in training): (x, y, gamma?, beta?, stat1, stat2, ...),
// x/y of `total` elements, the affine ones of `params`, the statistics of `stats` (null allowed unless
// `stats_required`).
struct NormForwardArgs {
  F32 x, y, gamma, beta, s1, s2;
};
inline NormForwardArgs norm_forward_args(Args& a, std::size_t total, const std::string& shape, std::size_t params,
                                         const std::string& pshape, std::size_t stats, const std::string& sshape,
                                         const char* s1, const char* s2, bool stats_required) {
  NormForwardArgs f{};
  f.x = a.sized(0, "x", total, shape);
  f.y = a.sized(1, "y", total, shape);
  f.gamma = a.sized_or_null(2, "gamma", params, pshape);
  f.beta = a.sized_or_null(3, "beta", params, pshape);
  f.s1 = stats_required ? a.sized(4, s1, stats, sshape) : a.sized_or_null(4, s1, stats, sshape);
  f.s2 = stats_required ? a.sized(5, s2, stats, sshape) : a.sized_or_null(5, s2, stats, sshape);
  return f;
}

// The buffers every norm backward takes: (x, dy, dx?, gamma?, dgamma?, dbeta?, stat1, stat2, ...),
// x/dy/dx of `total` elements, the affine ones of `params`, the statistics of `stats`.
struct NormBackwardArgs {
  F32 x, dy, dx, gamma, dgamma, dbeta, s1, s2;
};
inline NormBackwardArgs norm_backward_args(Args& a, std::size_t total, const std::string& shape, std::size_t params,
                                           const std::string& pshape, std::size_t stats, const std::string& sshape,
                                           const char* s1, const char* s2) {
  return {a.sized(0, "x", total, shape),           a.sized(1, "dy", total, shape),
          a.sized_or_null(2, "dx", total, shape),  a.sized_or_null(3, "gamma", params, pshape),
          a.sized_or_null(4, "dgamma", params, pshape), a.sized_or_null(5, "dbeta", params, pshape),
          a.sized(6, s1, stats, sshape),           a.sized(7, s2, stats, sshape)};
}

}  // namespace gwb
