// Drivers for optim: hyper-parameter checks, per-step coefficients, the thread
// loop over fixed chunks, and the dispatch to the active ISA's kernels.
#include "kernels/optim.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/isa.h"
#include "core/threads.h"

namespace gw {

namespace {

// 32 Ki floats (128 KiB) per chunk: large enough to amortise the thread loop,
// small enough to balance a 4 Mi-element buffer across threads.
constexpr std::size_t kChunk = std::size_t{1} << 15;

// Shortest round-tripping decimal, written like JavaScript ("-1", "1e-8", "0.5").
std::string format_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s(buf);
  // "1e-08" -> "1e-8", "1e+20" -> "1e+20" (JavaScript drops leading exponent zeros).
  const std::size_t e = s.find('e');
  if (e != std::string::npos) {
    std::size_t digits = e + 2;
    while (digits + 1 < s.size() && s[digits] == '0') s.erase(digits, 1);
  }
  return s;
}

bool is_unit_flag(double v) { return v == 0.0 || v == 1.0; }

}  // namespace

const OptimKernels& optim_kernels() { return GW_PICK(optim_kernels); }

namespace {
#define GW_OPTIM_INFO(e, name, a, b, c, s1, s2, s3) {name, {a, b, c}, {StateRule::s1, StateRule::s2, StateRule::s3}},
const OptimKindInfo kOptimKinds[kOptimKindCount] = {GW_OPTIMIZER_KINDS(GW_OPTIM_INFO)};
#undef GW_OPTIM_INFO
}  // namespace

const OptimKindInfo& optim_kind_info(OptimKind kind) { return kOptimKinds[static_cast<int>(kind)]; }

const char* optim_kind_names() {
  static const std::string names = [] {
    std::string s;
    for (int k = 0; k < kOptimKindCount; ++k) s += (k ? ", " : "") + std::string(kOptimKinds[k].name);
    return s;
  }();
  return names.c_str();
}

const char* state_rule_name(StateRule r) {
  switch (r) {
    case StateRule::kAlways: return "always";
    case StateRule::kNever: return "never";
    case StateRule::kIfA: return "a != 0";
    case StateRule::kIfBPositive: return "b > 0";
    case StateRule::kIfC: return "c != 0";
  }
  return "never";
}

bool parse_optim_kind(const std::string& name, OptimKind* out) {
  for (int k = 0; k < kOptimKindCount; ++k) {
    if (name == kOptimKinds[k].name) {
      *out = static_cast<OptimKind>(k);
      return true;
    }
  }
  return false;
}

OptimHyper read_optim_hyper(const double* hp) {
  return OptimHyper{hp[0], hp[1], hp[2], hp[3], hp[4], hp[5], hp[6], hp[7]};
}

OptimStateNeeds optim_state_needs(OptimKind kind, const OptimHyper& h) {
  auto needed = [&h](StateRule r) {
    switch (r) {
      case StateRule::kAlways: return true;
      case StateRule::kNever: return false;
      case StateRule::kIfA: return h.a != 0.0;
      case StateRule::kIfBPositive: return h.b > 0.0;
      case StateRule::kIfC: return h.c != 0.0;
    }
    return false;
  };
  const OptimKindInfo& info = optim_kind_info(kind);
  return {needed(info.states[0]), needed(info.states[1]), needed(info.states[2])};
}

std::string validate_optim_hyper(OptimKind kind, const OptimHyper& h) {
  // `!(x >= 0)` also rejects NaN; infinities are rejected separately.
  auto bad = [](double v) { return !(v >= 0.0) || std::isinf(v); };
  if (bad(h.lr)) return "Invalid learning rate: " + format_number(h.lr);
  if (!(h.t >= 1.0) || std::isinf(h.t) || h.t != std::floor(h.t)) {
    return "Invalid step t: " + format_number(h.t) + " (expected an integer >= 1)";
  }
  if (bad(h.weight_decay)) return "Invalid weight_decay value: " + format_number(h.weight_decay);
  if (bad(h.l1)) return "Invalid l1 value: " + format_number(h.l1);
  if (kind != OptimKind::kSgd && bad(h.eps)) return "Invalid epsilon value: " + format_number(h.eps);
  switch (kind) {
    case OptimKind::kSgd:
      if (bad(h.a)) return "Invalid momentum value: " + format_number(h.a);
      if (std::isnan(h.b) || std::isinf(h.b)) return "Invalid dampening value: " + format_number(h.b);
      if (!is_unit_flag(h.c)) return "Invalid nesterov flag: " + format_number(h.c) + " (expected 0 or 1)";
      if (h.c == 1.0 && (h.a <= 0.0 || h.b != 0.0)) return "Nesterov momentum requires a momentum and zero dampening";
      break;
    case OptimKind::kAdagrad:
      if (bad(h.a)) return "Invalid lr_decay value: " + format_number(h.a);
      if (bad(h.b)) return "Invalid initial_accumulator_value value: " + format_number(h.b);
      break;
    case OptimKind::kRmsprop:
      if (bad(h.a)) return "Invalid alpha value: " + format_number(h.a);
      if (bad(h.b)) return "Invalid momentum value: " + format_number(h.b);
      if (!is_unit_flag(h.c)) return "Invalid centered flag: " + format_number(h.c) + " (expected 0 or 1)";
      break;
    case OptimKind::kAdam:
    case OptimKind::kAdamw:
    case OptimKind::kAdamax:
      if (!(h.a >= 0.0 && h.a < 1.0)) return "Invalid beta parameter at index 0: " + format_number(h.a);
      if (!(h.b >= 0.0 && h.b < 1.0)) return "Invalid beta parameter at index 1: " + format_number(h.b);
      if (kind != OptimKind::kAdamax && !is_unit_flag(h.c)) {
        return "Invalid amsgrad flag: " + format_number(h.c) + " (expected 0 or 1)";
      }
      break;
    case OptimKind::kAdadelta:
      if (!(h.a >= 0.0 && h.a <= 1.0)) return "Invalid rho value: " + format_number(h.a);
      break;
  }
  return "";
}

OptimStepArgs prepare_optim_step(OptimKind kind, const OptimHyper& h) {
  OptimStepArgs s{};
  s.lr = static_cast<float>(h.lr);
  s.weight_decay = static_cast<float>(h.weight_decay);
  s.l1 = static_cast<float>(h.l1);
  s.param_scale = 1.0f;
  s.eps = static_cast<float>(h.eps);
  s.first_step = h.t == 1.0;
  s.flag = h.c != 0.0;
  s.a = static_cast<float>(h.a);
  s.one_minus_a = static_cast<float>(1.0 - h.a);
  s.b = static_cast<float>(h.b);
  s.one_minus_b = static_cast<float>(1.0 - h.b);
  switch (kind) {
    case OptimKind::kSgd:
      s.one_minus_a = static_cast<float>(1.0 - h.b);  // 1 - dampening
      s.has_momentum = h.a != 0.0;
      break;
    case OptimKind::kAdagrad:
      s.lr = static_cast<float>(h.lr / (1.0 + (h.t - 1.0) * h.a));
      break;
    case OptimKind::kRmsprop:
      s.has_momentum = h.b > 0.0;
      break;
    case OptimKind::kAdamw:
      s.param_scale = static_cast<float>(1.0 - h.lr * h.weight_decay);
      s.weight_decay = 0.0f;
      [[fallthrough]];
    case OptimKind::kAdam:
      s.lr = static_cast<float>(h.lr / (1.0 - std::pow(h.a, h.t)));
      s.bias_correction2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(h.b, h.t)));
      break;
    case OptimKind::kAdamax:
      s.lr = static_cast<float>(h.lr / (1.0 - std::pow(h.a, h.t)));
      break;
    case OptimKind::kAdadelta:
      break;
  }
  return s;
}

namespace {

OptimStepKernel step_kernel(OptimKind kind) {
  const OptimKernels& k = optim_kernels();
  switch (kind) {
    case OptimKind::kSgd: return k.sgd;
    case OptimKind::kAdagrad: return k.adagrad;
    case OptimKind::kRmsprop: return k.rmsprop;
    case OptimKind::kAdam:
    case OptimKind::kAdamw: return k.adam;
    case OptimKind::kAdamax: return k.adamax;
    case OptimKind::kAdadelta: return k.adadelta;
  }
  return nullptr;
}

OptimStepArgs step_args(OptimKind kind, const OptimTensor& t) {
  OptimStepArgs args = prepare_optim_step(kind, t.h);
  args.param = t.param;
  args.grad = t.grad;
  args.s1 = t.s1;
  args.s2 = t.s2;
  args.s3 = t.s3;
  return args;
}

}  // namespace

bool optim_step(OptimKind kind, const OptimHyper& h, float* param, const float* grad, float* s1, float* s2, float* s3,
                std::size_t n) {
  const OptimStepKernel kernel = step_kernel(kind);
  const OptimStepArgs args = step_args(kind, OptimTensor{param, grad, s1, s2, s3, n, h});
  // One flag per chunk (OR is order-free, but writing distinct slots avoids a shared atomic).
  std::vector<unsigned char> bad((n + kChunk - 1) / kChunk, 0);
  parallel_chunks(n, kChunk, [&](std::size_t b, std::size_t e) { bad[b / kChunk] = kernel(args, b, e) ? 1 : 0; });
  for (unsigned char f : bad) {
    if (f) return true;
  }
  return false;
}

bool optim_step_multi(OptimKind kind, const OptimTensor* tensors, std::size_t count) {
  const OptimStepKernel kernel = step_kernel(kind);
  struct Piece {
    std::size_t tensor, begin, end, offset;  // offset: elements of all earlier pieces
  };
  std::vector<OptimStepArgs> args;
  std::vector<Piece> pieces;
  args.reserve(count);
  std::size_t total = 0;
  for (std::size_t t = 0; t < count; ++t) {
    args.push_back(step_args(kind, tensors[t]));
    const std::size_t n = tensors[t].n;
    for (std::size_t b = 0; b < n; b += kChunk) {
      const std::size_t e = b + kChunk < n ? b + kChunk : n;
      pieces.push_back(Piece{t, b, e, total});
      total += e - b;
    }
  }
  std::vector<unsigned char> bad(pieces.size(), 0);
  // Thread th takes the pieces that start in its share of the elements: a
  // balanced static split (parallel_chunks over pieces of unequal size would
  // not be). Each piece runs the kernel exactly as optim_step would.
  const std::size_t threads = static_cast<std::size_t>(num_threads());
  const std::size_t team = pieces.size() < threads ? pieces.size() : threads;
  parallel_team(team, [&](std::size_t th) {
    const std::size_t lo = total * th / team, hi = total * (th + 1) / team;  // total < 2^48: no overflow
    for (std::size_t k = 0; k < pieces.size(); ++k) {
      const Piece& p = pieces[k];
      if (p.offset < lo || p.offset >= hi) continue;
      bad[k] = kernel(args[p.tensor], p.begin, p.end) ? 1 : 0;
    }
  });
  for (unsigned char f : bad) {
    if (f) return true;
  }
  return false;
}

double sum_squares(const float* x, std::size_t n) {
  const OptimKernels& k = optim_kernels();
  std::vector<double> partial((n + kChunk - 1) / kChunk, 0.0);
  parallel_chunks(n, kChunk, [&](std::size_t b, std::size_t e) { partial[b / kChunk] = k.sum_squares(x + b, e - b); });
  double total = 0.0;
  for (double p : partial) total += p;  // chunk order: identical for any thread count
  return total;
}

double clip_grad_norm(const F32Span* grads, std::size_t count, double max_norm) {
  double total = 0.0;
  for (std::size_t i = 0; i < count; ++i) total += sum_squares(grads[i].data, grads[i].size);
  const double norm = std::sqrt(total);
  // torch: clip_coef = max_norm / (total_norm + 1e-6), clamped at 1 (NaN propagates).
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0 || std::isnan(coef)) {
    const OptimKernels& k = optim_kernels();
    const float c = static_cast<float>(coef);
    for (std::size_t i = 0; i < count; ++i) {
      float* g = grads[i].data;
      parallel_chunks(grads[i].size, kChunk, [&](std::size_t b, std::size_t e) { k.scale(g + b, e - b, c); });
    }
  }
  return norm;
}

void clip_grad_value(const F32Span* grads, std::size_t count, float clip_value) {
  const OptimKernels& k = optim_kernels();
  for (std::size_t i = 0; i < count; ++i) {
    float* g = grads[i].data;
    parallel_chunks(grads[i].size, kChunk, [&](std::size_t b, std::size_t e) { k.clamp(g + b, e - b, -clip_value, clip_value); });
  }
}

bool has_nonfinite(const float* x, std::size_t n) {
  const OptimKernels& k = optim_kernels();
  std::vector<unsigned char> bad((n + kChunk - 1) / kChunk, 0);
  parallel_chunks(n, kChunk, [&](std::size_t b, std::size_t e) { bad[b / kChunk] = k.has_nonfinite(x + b, e - b) ? 1 : 0; });
  for (unsigned char f : bad) {
    if (f) return true;
  }
  return false;
}

}  // namespace gw
