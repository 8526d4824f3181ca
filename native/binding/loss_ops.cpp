// losses ops at the binding boundary: validate arguments, return a task.
// Value checks (labels in [0, C), bce probabilities/targets in [0, 1]) run here,
// giving a RangeError, and again in the task: a compiled program refills its
// buffers between runs, and a bad label must never index out of bounds.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "binding/args.h"
#include "kernels/losses.h"

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

std::size_t checked_nc(Args& a, std::size_t N, std::size_t C) {
  if (N > (std::size_t{1} << 62) / C) a.range_error("N*C is too large");
  return N * C;
}

std::string nc_shape(std::size_t N, std::size_t C) {
  return shape_str({static_cast<std::int64_t>(N), static_cast<std::int64_t>(C)});
}

// Returns an empty string when every value lies in [0, 1], else a message naming the first bad one.
std::string check_unit_interval(const float* v, std::size_t n, const char* name) {
  // A branch-free scan first (the compiler vectorises it); the slow search only on failure.
  int bad = 0;
  for (std::size_t i = 0; i < n; ++i) bad |= !(v[i] >= 0.0f) | !(v[i] <= 1.0f);
  if (!bad) return {};
  for (std::size_t i = 0; i < n; ++i) {
    if (!(v[i] >= 0.0f && v[i] <= 1.0f)) {
      return std::string("argument '") + name + "' must hold values in [0, 1] for kind 'bce', but " + name + "[" +
             std::to_string(i) + "] = " + num_str(v[i]);
    }
  }
  return {};
}

std::string check_labels(const std::int32_t* labels, std::size_t N, std::size_t C) {
  int bad = 0;
  for (std::size_t i = 0; i < N; ++i) bad |= static_cast<std::uint32_t>(labels[i]) >= C;
  if (!bad) return {};
  for (std::size_t i = 0; i < N; ++i) {
    if (labels[i] < 0 || static_cast<std::size_t>(labels[i]) >= C) {
      return "labels[" + std::to_string(i) + "] = " + std::to_string(labels[i]) + " is out of range [0, " +
             std::to_string(C) + ")";
    }
  }
  return {};
}

// loss(kind, input, target, dinput|null, out, N, C, param?)
Task loss(Args& a) {
  const std::string kind = a.string(0, "kind");
  const std::size_t N = dim_arg(a, 5, "N"), C = dim_arg(a, 6, "C");
  const std::size_t total = checked_nc(a, N, C);
  const std::string shape = nc_shape(N, C);
  F32 input = a.f32(1, "input");
  a.require_size(input, "input", total, shape);
  F32 target = a.f32(2, "target");
  a.require_size(target, "target", total, shape);
  F32 dinput = a.f32_or_null(3, "dinput");
  if (dinput.data) a.require_size(dinput, "dinput", total, shape);
  F32 out = a.f32(4, "out");
  a.require_size(out, "out", 1, "[1]");
  const std::string op = a.op();

  gw::LossKind k;
  if (!gw::parse_loss_kind(kind, &k)) {
    a.range_error("unknown loss kind '" + kind + "'; expected one of " + gw::loss_kind_names());
  }
  if (k != gw::LossKind::kHuber && !a.is_undefined(7)) a.range_error("kind '" + kind + "' takes no param");
  if (k == gw::LossKind::kCce) {
    return [=] { out.data[0] = gw::dense_cross_entropy(input.data, target.data, dinput.data, N, C); };
  }
  float param = 0.0f;
  if (k == gw::LossKind::kHuber) {
    const double delta = a.number_or(7, "param", 1.0);
    if (!(delta > 0.0)) a.range_error("argument 'param' (huber delta) must be > 0, received " + num_str(delta));
    param = static_cast<float>(delta);
  }
  if (k == gw::LossKind::kBce) {
    std::string bad = check_unit_interval(input.data, total, "input");
    if (bad.empty()) bad = check_unit_interval(target.data, total, "target");
    if (!bad.empty()) a.range_error(bad);
    return [=] {
      // Checked again as the kernel runs: a compiled program's buffers change between runs.
      std::size_t bad = SIZE_MAX;
      const float value = gw::elementwise_loss(k, input.data, target.data, dinput.data, total, param, &bad);
      if (bad != SIZE_MAX) {
        const bool in_target = bad >= total;
        const std::size_t i = in_target ? bad - total : bad;
        const float v = in_target ? target.data[i] : input.data[i];
        const char* name = in_target ? "target" : "input";
        throw std::range_error(op + ": argument '" + name + "' must hold values in [0, 1] for kind 'bce', but " + name +
                               "[" + std::to_string(i) + "] = " + num_str(v));
      }
      out.data[0] = value;
    };
  }
  return [=] { out.data[0] = gw::elementwise_loss(k, input.data, target.data, dinput.data, total, param); };
}

// sparse_cross_entropy(logits, labels: Int32Array, dlogits|null, out, N, C, labelSmoothing = 0)
Task sparse_cross_entropy(Args& a) {
  const std::size_t N = dim_arg(a, 4, "N"), C = dim_arg(a, 5, "C");
  const std::size_t total = checked_nc(a, N, C);
  const std::string shape = nc_shape(N, C);
  F32 logits = a.f32(0, "logits");
  a.require_size(logits, "logits", total, shape);
  I32 labels = a.i32(1, "labels");
  if (labels.size < N) {
    a.range_error("argument 'labels' has " + std::to_string(labels.size) + " elements but N = " + std::to_string(N));
  }
  F32 dlogits = a.f32_or_null(2, "dlogits");
  if (dlogits.data) a.require_size(dlogits, "dlogits", total, shape);
  F32 out = a.f32(3, "out");
  a.require_size(out, "out", 1, "[1]");
  const double smoothing = a.number_or(6, "labelSmoothing", 0.0);
  if (smoothing < 0.0 || smoothing > 1.0) {
    a.range_error("argument 'labelSmoothing' must be in [0, 1], received " + num_str(smoothing));
  }
  const std::string bad = check_labels(labels.data, N, C);
  if (!bad.empty()) a.range_error(bad);
  const std::string op = a.op();
  return [=] {
    const std::string again = check_labels(labels.data, N, C);
    if (!again.empty()) throw std::range_error(op + ": " + again);
    out.data[0] = gw::sparse_cross_entropy(logits.data, labels.data, dlogits.data, N, C, smoothing);
  };
}

}  // namespace

void register_loss_ops() {
  register_op("loss", loss);
  register_op("sparse_cross_entropy", sparse_cross_entropy);
}

}  // namespace gwb
