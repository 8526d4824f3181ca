// norms ops at the binding boundary: validate arguments, return a task.
// x is (N, C, L) row-major ((N, C) is L = 1); see native/OPS.md.
#include <cstdint>
#include <string>

#include "binding/args.h"
#include "binding/norm_args.h"
#include "kernels/norms.h"

namespace gwb {
namespace {

// batchnorm_forward_train(x, y, gamma, beta, runningMean, runningVar, saveMean, saveInvStd, N, C, L, momentum, eps)
Task batchnorm_forward_train(Args& a) {
  const BnTrainArgs b = bn_train_args(a, false);
  const std::size_t N = b.s.N, C = b.s.C, L = b.s.L;
  if (N * L < 2) {
    a.range_error("expected more than 1 value per channel when training, got input of shape " + b.s.shape);
  }
  return [=] {
    gw::batchnorm_forward_train(b.x.data, b.y.data, b.gamma.data, b.beta.data, b.rmean.data, b.rvar.data, b.smean.data,
                                b.sinv.data, N, C, L, b.momentum, b.eps);
  };
}

// batchnorm_forward_eval(x, y, gamma, beta, runningMean, runningVar, N, C, L, eps)
Task batchnorm_forward_eval(Args& a) {
  const NclShape s = ncl_shape(a, 6);
  const std::size_t N = s.N, C = s.C, L = s.L, total = s.total;
  const std::string &shape = s.shape, &cshape = s.cshape;
  const NormForwardArgs f = norm_forward_args(a, total, shape, C, cshape, C, cshape, "runningMean", "runningVar", true);
  const double eps = eps_arg(a, 9);
  return [=] { gw::batchnorm_forward_eval(f.x.data, f.y.data, f.gamma.data, f.beta.data, f.s1.data, f.s2.data, N, C, L, eps); };
}

// batchnorm_backward(x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, N, C, L)
Task batchnorm_backward(Args& a) {
  const NclShape s = ncl_shape(a, 8);
  const std::size_t N = s.N, C = s.C, L = s.L, total = s.total;
  const std::string &shape = s.shape, &cshape = s.cshape;
  const NormBackwardArgs g = norm_backward_args(a, total, shape, C, cshape, C, cshape, "saveMean", "saveInvStd");
  return [=] {
    gw::batchnorm_backward(g.x.data, g.dy.data, g.dx.data, g.gamma.data, g.dgamma.data, g.dbeta.data, g.s1.data, g.s2.data, N, C, L);
  };
}

// batchnorm_backward_eval(x, dy, dx, gamma, dgamma, dbeta, runningMean, runningVar, N, C, L, eps)
Task batchnorm_backward_eval(Args& a) {
  const NclShape s = ncl_shape(a, 8);
  const std::size_t N = s.N, C = s.C, L = s.L, total = s.total;
  const std::string &shape = s.shape, &cshape = s.cshape;
  const NormBackwardArgs g = norm_backward_args(a, total, shape, C, cshape, C, cshape, "runningMean", "runningVar");
  const double eps = eps_arg(a, 11);
  return [=] {
    gw::batchnorm_backward_eval(g.x.data, g.dy.data, g.dx.data, g.gamma.data, g.dgamma.data, g.dbeta.data, g.s1.data, g.s2.data, N,
                                C, L, eps);
  };
}

// layernorm_forward(x, y, gamma, beta, saveMean, saveInvStd, rows, cols, eps)
Task layernorm_forward(Args& a) {
  const std::size_t rows = norm_dim(a, 6, "rows"), cols = norm_dim(a, 7, "cols");
  const std::size_t total = norm_product(a, {rows, cols}, "rows*cols");
  const std::string shape = shape_of({rows, cols});
  const NormForwardArgs f =
      norm_forward_args(a, total, shape, cols, shape_of({cols}), rows, shape_of({rows}), "saveMean", "saveInvStd", false);
  const double eps = eps_arg(a, 8);
  return [=] { gw::layernorm_forward(f.x.data, f.y.data, f.gamma.data, f.beta.data, f.s1.data, f.s2.data, rows, cols, eps); };
}

// layernorm_backward(x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, rows, cols)
Task layernorm_backward(Args& a) {
  const std::size_t rows = norm_dim(a, 8, "rows"), cols = norm_dim(a, 9, "cols");
  const std::size_t total = norm_product(a, {rows, cols}, "rows*cols");
  const std::string shape = shape_of({rows, cols});
  const NormBackwardArgs g = norm_backward_args(a, total, shape, cols, shape_of({cols}), rows, shape_of({rows}), "saveMean", "saveInvStd");
  return [=] {
    gw::layernorm_backward(g.x.data, g.dy.data, g.dx.data, g.gamma.data, g.dgamma.data, g.dbeta.data, g.s1.data, g.s2.data, rows,
                           cols);
  };
}

void check_groups(Args& a, std::size_t C, std::size_t G) {
  if (C % G != 0) {
    a.range_error("argument 'G' = " + std::to_string(G) + " must divide the channel count C = " + std::to_string(C));
  }
}

// (N, C, L, G) at argument i: the group norms' shape, statistics [N, G].
struct GroupShape {
  std::size_t N, C, L, G, total, units;
  std::string shape, cshape, ushape;
};
GroupShape group_shape(Args& a, std::size_t i) {
  GroupShape s{};
  s.N = norm_dim(a, i, "N");
  s.C = norm_dim(a, i + 1, "C");
  s.L = norm_dim(a, i + 2, "L");
  s.G = norm_dim(a, i + 3, "G");
  check_groups(a, s.C, s.G);
  s.total = norm_product(a, {s.N, s.C, s.L}, "N*C*L");
  s.shape = shape_of({s.N, s.C, s.L});
  s.cshape = shape_of({s.C});
  s.units = s.N * s.G;
  s.ushape = shape_of({s.N, s.G});
  return s;
}

// groupnorm_forward(x, y, gamma, beta, saveMean, saveInvStd, N, C, L, G, eps)
Task groupnorm_forward(Args& a) {
  const GroupShape s = group_shape(a, 6);
  const std::size_t N = s.N, C = s.C, L = s.L, G = s.G;
  const NormForwardArgs f = norm_forward_args(a, s.total, s.shape, C, s.cshape, s.units, s.ushape, "saveMean", "saveInvStd", false);
  const double eps = eps_arg(a, 10);
  return [=] { gw::groupnorm_forward(f.x.data, f.y.data, f.gamma.data, f.beta.data, f.s1.data, f.s2.data, N, C, L, G, eps); };
}

// groupnorm_backward(x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, N, C, L, G)
Task groupnorm_backward(Args& a) {
  const GroupShape s = group_shape(a, 8);
  const std::size_t N = s.N, C = s.C, L = s.L, G = s.G;
  const NormBackwardArgs g = norm_backward_args(a, s.total, s.shape, C, s.cshape, s.units, s.ushape, "saveMean", "saveInvStd");
  return [=] {
    gw::groupnorm_backward(g.x.data, g.dy.data, g.dx.data, g.gamma.data, g.dgamma.data, g.dbeta.data, g.s1.data, g.s2.data, N, C, L,
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
