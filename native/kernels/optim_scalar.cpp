// optim: plain scalar reference kernels. Each loop is torch.optim's
// single-tensor update written element by element, in torch's order of
// operations (e.g. `buf.mul_(m).add_(g, alpha=1-d)` is `buf*m + (1-d)*g`).
#include <cmath>

#include "kernels/optim.h"

namespace gw {

namespace {

// The gradient the update sees: the raw gradient plus coupled L2 and L1 terms.
inline float effective_grad(const OptimStepArgs& a, float g, float p) {
  if (a.weight_decay != 0.0f) g = g + a.weight_decay * p;
  if (a.l1 != 0.0f) g = g + a.l1 * static_cast<float>((p > 0.0f) - (p < 0.0f));
  return g;
}

bool sgd_scalar(const OptimStepArgs& a, std::size_t begin, std::size_t end) {
  bool bad = false;
  for (std::size_t i = begin; i < end; ++i) {
    const float raw = a.grad[i];
    bad |= !std::isfinite(raw);
    const float p = a.param[i];
    float g = effective_grad(a, raw, p);
    if (a.has_momentum) {
      const float buf = a.first_step ? g : a.s1[i] * a.a + a.one_minus_a * g;
      a.s1[i] = buf;
      g = a.flag ? g + a.a * buf : buf;  // nesterov
    }
    a.param[i] = p + (-a.lr) * g;
  }
  return bad;
}

bool adagrad_scalar(const OptimStepArgs& a, std::size_t begin, std::size_t end) {
  bool bad = false;
  for (std::size_t i = begin; i < end; ++i) {
    const float raw = a.grad[i];
    bad |= !std::isfinite(raw);
    const float p = a.param[i];
    const float g = effective_grad(a, raw, p);
    const float sum = (a.first_step ? a.b : a.s1[i]) + g * g;
    a.s1[i] = sum;
    const float std_dev = std::sqrt(sum) + a.eps;
    a.param[i] = p + (-a.lr) * (g / std_dev);
  }
  return bad;
}

bool rmsprop_scalar(const OptimStepArgs& a, std::size_t begin, std::size_t end) {
  bool bad = false;
  for (std::size_t i = begin; i < end; ++i) {
    const float raw = a.grad[i];
    bad |= !std::isfinite(raw);
    const float p = a.param[i];
    const float g = effective_grad(a, raw, p);
    const float v = (a.first_step ? 0.0f : a.s1[i]) * a.a + a.one_minus_a * (g * g);
    a.s1[i] = v;
    float avg;
    if (a.flag) {  // centered
      const float gavg = (a.first_step ? 0.0f : a.s3[i]) * a.a + a.one_minus_a * g;
      a.s3[i] = gavg;
      avg = std::sqrt(v + (-1.0f) * (gavg * gavg));
    } else {
      avg = std::sqrt(v);
    }
    avg = avg + a.eps;
    if (a.has_momentum) {
      const float buf = (a.first_step ? 0.0f : a.s2[i]) * a.b + g / avg;
      a.s2[i] = buf;
      a.param[i] = p + (-a.lr) * buf;
    } else {
      a.param[i] = p + (-a.lr) * (g / avg);
    }
  }
  return bad;
}

// Adam and AdamW (param_scale = 1 - lr*wd applied to p before the update).
bool adam_scalar(const OptimStepArgs& a, std::size_t begin, std::size_t end) {
  bool bad = false;
  for (std::size_t i = begin; i < end; ++i) {
    const float raw = a.grad[i];
    bad |= !std::isfinite(raw);
    float p = a.param[i];
    if (a.param_scale != 1.0f) p = p * a.param_scale;
    const float g = effective_grad(a, raw, p);
    const float m = (a.first_step ? 0.0f : a.s1[i]) * a.a + a.one_minus_a * g;
    const float v = (a.first_step ? 0.0f : a.s2[i]) * a.b + a.one_minus_b * (g * g);
    a.s1[i] = m;
    a.s2[i] = v;
    float v_used = v;
    if (a.flag) {  // amsgrad: running max of the raw v
      const float vmax = a.first_step ? v : std::fmax(a.s3[i], v);
      a.s3[i] = vmax;
      v_used = vmax;
    }
    const float denom = std::sqrt(v_used) / a.bias_correction2_sqrt + a.eps;
    a.param[i] = p + (-a.lr) * (m / denom);
  }
  return bad;
}

bool adamax_scalar(const OptimStepArgs& a, std::size_t begin, std::size_t end) {
  bool bad = false;
  for (std::size_t i = begin; i < end; ++i) {
    const float raw = a.grad[i];
    bad |= !std::isfinite(raw);
    const float p = a.param[i];
    const float g = effective_grad(a, raw, p);
    const float m = (a.first_step ? 0.0f : a.s1[i]) * a.a + a.one_minus_a * g;
    const float u = std::fmax((a.first_step ? 0.0f : a.s2[i]) * a.b, std::fabs(g) + a.eps);
    a.s1[i] = m;
    a.s2[i] = u;
    a.param[i] = p + (-a.lr) * (m / u);
  }
  return bad;
}

bool adadelta_scalar(const OptimStepArgs& a, std::size_t begin, std::size_t end) {
  bool bad = false;
  for (std::size_t i = begin; i < end; ++i) {
    const float raw = a.grad[i];
    bad |= !std::isfinite(raw);
    const float p = a.param[i];
    const float g = effective_grad(a, raw, p);
    const float v = (a.first_step ? 0.0f : a.s1[i]) * a.a + a.one_minus_a * (g * g);
    const float std_dev = std::sqrt(v + a.eps);
    const float acc = a.first_step ? 0.0f : a.s2[i];
    const float delta = std::sqrt(acc + a.eps) / std_dev * g;
    a.s1[i] = v;
    a.s2[i] = acc * a.a + a.one_minus_a * (delta * delta);
    a.param[i] = p + (-a.lr) * delta;
  }
  return bad;
}

double sum_squares_scalar(const float* x, std::size_t n) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

void scale_scalar(float* x, std::size_t n, float s) {
  for (std::size_t i = 0; i < n; ++i) x[i] = x[i] * s;
}

// NaN stays NaN (torch.clamp).
void clamp_scalar(float* x, std::size_t n, float lo, float hi) {
  for (std::size_t i = 0; i < n; ++i) {
    const float v = x[i];
    x[i] = v < lo ? lo : (v > hi ? hi : v);
  }
}

bool has_nonfinite_scalar(const float* x, std::size_t n) {
  bool bad = false;
  for (std::size_t i = 0; i < n; ++i) bad |= !std::isfinite(x[i]);
  return bad;
}

}  // namespace

const OptimKernels& optim_kernels_scalar() {
  static const OptimKernels table{"scalar",           sgd_scalar,         adagrad_scalar,  rmsprop_scalar,
                                  adam_scalar,        adamax_scalar,      adadelta_scalar, sum_squares_scalar,
                                  scale_scalar,       clamp_scalar,       has_nonfinite_scalar};
  return table;
}

}  // namespace gw
