// optim ops at the binding boundary: validate arguments, return a task.
//
// optim_step's hyper-parameters live in a Float64Array that JavaScript may
// change between runs of a compiled program, so they are checked here (a
// RangeError before anything runs) and again by the task when it runs.
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "binding/args.h"
#include "kernels/optim.h"

namespace gwb {
namespace {

constexpr std::size_t kHyperCount = 8;

// Checks the hyper-parameters and the state buffers they call for; "" when fine.
std::string check_step(gw::OptimKind kind, const gw::OptimHyper& h, const F32& s1, const F32& s2, const F32& s3,
                       std::size_t n) {
  std::string err = gw::validate_optim_hyper(kind, h);
  if (!err.empty()) return err;
  const gw::OptimStateNeeds needs = gw::optim_state_needs(kind, h);
  const struct {
    bool needed;
    const F32* buf;
    const char* name;
  } states[] = {{needs.s1, &s1, "s1"}, {needs.s2, &s2, "s2"}, {needs.s3, &s3, "s3"}};
  for (const auto& s : states) {
    if (!s.needed) continue;
    if (s.buf->data == nullptr) return std::string("argument '") + s.name + "' (optimizer state) is required by these hyper-parameters but is null";
    if (s.buf->size != n) {
      return std::string("argument '") + s.name + "' (optimizer state) has " + std::to_string(s.buf->size) +
             " elements but the parameter has " + std::to_string(n);
    }
  }
  return "";
}

// optim_step(kind, param, grad, s1|null, s2|null, s3|null, hp: Float64Array, status: Float32Array)
gw::OptimKind read_kind(Args& a) {
  const std::string kind_name = a.string(0, "kind");
  gw::OptimKind kind;
  if (!gw::parse_optim_kind(kind_name, &kind)) {
    a.range_error("unknown kind '" + kind_name + "'; expected one of " + gw::optim_kind_names());
  }
  return kind;
}

Task optim_step(Args& a) {
  const gw::OptimKind kind = read_kind(a);
  F32 param = a.f32(1, "param");
  F32 grad = a.f32(2, "grad");
  F32 s1 = a.f32_or_null(3, "s1");
  F32 s2 = a.f32_or_null(4, "s2");
  F32 s3 = a.f32_or_null(5, "s3");
  F64 hp = a.f64(6, "hp");
  F32 status = a.f32(7, "status");
  if (grad.size != param.size) {
    a.range_error("argument 'grad' has " + std::to_string(grad.size) + " elements but 'param' has " +
                  std::to_string(param.size));
  }
  if (hp.size < kHyperCount) {
    a.range_error("argument 'hp' has " + std::to_string(hp.size) +
                  " elements but needs 8: [lr, t, weight_decay, l1, a, b, eps, c]");
  }
  if (status.size < 1) a.range_error("argument 'status' is empty; it needs 1 element");
  const std::size_t n = param.size;
  const std::string err = check_step(kind, gw::read_optim_hyper(hp.data), s1, s2, s3, n);
  if (!err.empty()) a.range_error(err);
  const std::string op = a.op();
  return [=] {
    // JavaScript may have changed hp since the program was validated.
    const gw::OptimHyper h = gw::read_optim_hyper(hp.data);
    const std::string run_err = check_step(kind, h, s1, s2, s3, n);
    if (!run_err.empty()) throw std::runtime_error(op + ": " + run_err);
    const bool bad = gw::optim_step(kind, h, param.data, grad.data, s1.data, s2.data, s3.data, n);
    status.data[0] = bad ? 1.0f : 0.0f;
  };
}

// optim_step_multi(kind, params: Float32Array[], grads: Float32Array[], s1: (Float32Array|null)[], s2, s3,
//                  hp: Float64Array (8 per tensor), status: Float32Array)
Task optim_step_multi(Args& a) {
  const gw::OptimKind kind = read_kind(a);
  const std::vector<F32> params = a.f32_list(1, "params");
  const std::vector<F32> grads = a.f32_list(2, "grads");
  const std::vector<F32> s1 = a.f32_list_or_null(3, "s1");
  const std::vector<F32> s2 = a.f32_list_or_null(4, "s2");
  const std::vector<F32> s3 = a.f32_list_or_null(5, "s3");
  F64 hp = a.f64(6, "hp");
  F32 status = a.f32(7, "status");
  const std::size_t count = params.size();
  const struct {
    const std::vector<F32>* list;
    const char* name;
  } lists[] = {{&grads, "grads"}, {&s1, "s1"}, {&s2, "s2"}, {&s3, "s3"}};
  for (const auto& l : lists) {
    if (l.list->size() != count) {
      a.range_error(std::string("argument '") + l.name + "' has " + std::to_string(l.list->size()) +
                    " entries but 'params' has " + std::to_string(count));
    }
  }
  if (hp.size < kHyperCount * count) {
    a.range_error("argument 'hp' has " + std::to_string(hp.size) + " elements but needs " +
                  std::to_string(kHyperCount * count) + ": 8 per tensor [lr, t, weight_decay, l1, a, b, eps, c]");
  }
  if (status.size < 1) a.range_error("argument 'status' is empty; it needs 1 element");
  // "tensor i: ..." when the hyper-parameters or states of tensor i are wrong; "" when all are fine.
  auto check_all = [=](std::vector<gw::OptimTensor>* out) -> std::string {
    for (std::size_t i = 0; i < count; ++i) {
      const gw::OptimHyper h = gw::read_optim_hyper(hp.data + kHyperCount * i);
      const std::size_t n = params[i].size;
      if (grads[i].size != n) {
        return "tensor " + std::to_string(i) + ": argument 'grads[" + std::to_string(i) + "]' has " +
               std::to_string(grads[i].size) + " elements but 'params[" + std::to_string(i) + "]' has " + std::to_string(n);
      }
      const std::string err = check_step(kind, h, s1[i], s2[i], s3[i], n);
      if (!err.empty()) return "tensor " + std::to_string(i) + ": " + err;
      if (out) out->push_back(gw::OptimTensor{params[i].data, grads[i].data, s1[i].data, s2[i].data, s3[i].data, n, h});
    }
    return "";
  };
  const std::string err = check_all(nullptr);
  if (!err.empty()) a.range_error(err);
  const std::string op = a.op();
  return [=] {
    // JavaScript may have changed hp since the program was validated.
    std::vector<gw::OptimTensor> tensors;
    tensors.reserve(count);
    const std::string run_err = check_all(&tensors);
    if (!run_err.empty()) throw std::runtime_error(op + ": " + run_err);
    const bool bad = gw::optim_step_multi(kind, tensors.data(), count);
    status.data[0] = bad ? 1.0f : 0.0f;
  };
}

std::vector<gw::F32Span> spans(const std::vector<F32>& list) {
  std::vector<gw::F32Span> out;
  out.reserve(list.size());
  for (const F32& t : list) out.push_back(gw::F32Span{t.data, t.size});
  return out;
}

// clip_grad_norm(grads: Float32Array[], maxNorm, out: Float32Array)
Task clip_grad_norm(Args& a) {
  const std::vector<gw::F32Span> grads = spans(a.f32_list(0, "grads"));
  const double max_norm = a.number(1, "maxNorm");
  if (!(max_norm >= 0.0)) a.range_error("argument 'maxNorm' must be >= 0, received " + std::to_string(max_norm));
  F32 out = a.f32(2, "out");
  if (out.size < 1) a.range_error("argument 'out' is empty; it needs 1 element");
  return [=] { out.data[0] = static_cast<float>(gw::clip_grad_norm(grads.data(), grads.size(), max_norm)); };
}

// clip_grad_value(grads: Float32Array[], clipValue)
Task clip_grad_value(Args& a) {
  const std::vector<gw::F32Span> grads = spans(a.f32_list(0, "grads"));
  const double clip = a.number(1, "clipValue");
  if (!(clip >= 0.0)) a.range_error("argument 'clipValue' must be >= 0, received " + std::to_string(clip));
  const float c = static_cast<float>(clip);
  return [=] { gw::clip_grad_value(grads.data(), grads.size(), c); };
}

// check_finite(buffers: Float32Array[], flags: Float32Array)
Task check_finite(Args& a) {
  const std::vector<gw::F32Span> buffers = spans(a.f32_list(0, "buffers"));
  F32 flags = a.f32(1, "flags");
  if (flags.size < buffers.size()) {
    a.range_error("argument 'flags' has " + std::to_string(flags.size) + " elements but there are " +
                  std::to_string(buffers.size()) + " buffers");
  }
  return [=] {
    for (std::size_t i = 0; i < buffers.size(); ++i) {
      flags.data[i] = gw::has_nonfinite(buffers[i].data, buffers[i].size) ? 1.0f : 0.0f;
    }
  };
}

// sum_squares(buffers: Float32Array[], out: Float32Array)
Task sum_squares(Args& a) {
  const std::vector<gw::F32Span> buffers = spans(a.f32_list(0, "buffers"));
  F32 out = a.f32(1, "out");
  if (out.size < buffers.size()) {
    a.range_error("argument 'out' has " + std::to_string(out.size) + " elements but there are " +
                  std::to_string(buffers.size()) + " buffers");
  }
  return [=] {
    for (std::size_t i = 0; i < buffers.size(); ++i) {
      out.data[i] = static_cast<float>(gw::sum_squares(buffers[i].data, buffers[i].size));
    }
  };
}

}  // namespace

void register_optim_ops() {
  register_op("optim_step", optim_step);
  register_op("optim_step_multi", optim_step_multi);
  register_op("clip_grad_norm", clip_grad_norm);
  register_op("clip_grad_value", clip_grad_value);
  register_op("check_finite", check_finite);
  register_op("sum_squares", sum_squares);
}

}  // namespace gwb
