// activations ops at the binding boundary: validate arguments, return a task.
#include <string>

#include "binding/args.h"
#include "kernels/activations.h"

namespace gwb {
namespace {

constexpr std::int64_t kMaxElems = std::int64_t{1} << 40;

std::size_t count_arg(Args& a, std::size_t i, const char* name) { return a.dim(i, name, 0, kMaxElems); }

gw::ActKind kind_arg(Args& a, std::size_t i) {
  const std::string name = a.string(i, "kind");
  gw::ActKind kind;
  if (!gw::parse_act_kind(name.c_str(), &kind)) {
    a.range_error("argument 'kind' must be one of " + std::string(gw::act_kind_names()) + ", received '" + name + "'");
  }
  return kind;
}

// alpha: leaky_relu's negative slope (default 0.01) or elu's alpha (default 1); ignored by other kinds.
float alpha_arg(Args& a, std::size_t i, gw::ActKind kind) {
  const double fallback = kind == gw::ActKind::kLeakyRelu ? 0.01 : 1.0;
  return static_cast<float>(a.number_or(i, "alpha", fallback));
}

std::string vec_shape(std::size_t n) { return shape_of({n}); }

// The x, y, dy, dx buffers of a backward op (arguments 1-4).
struct GradBuffers {
  F32 x, y, dy, dx;
};
GradBuffers grad_buffers(Args& a) { return GradBuffers{a.f32(1, "x"), a.f32(2, "y"), a.f32(3, "dy"), a.f32(4, "dx")}; }

// Each holds n elements of `shape`.
void require_grad_sizes(Args& a, const GradBuffers& g, std::size_t n, const std::string& shape) {
  a.require_size(g.x, "x", n, shape);
  a.require_size(g.y, "y", n, shape);
  a.require_size(g.dy, "dy", n, shape);
  a.require_size(g.dx, "dx", n, shape);
}

// activation_forward(kind, x, y, n, alpha?)
Task activation_forward(Args& a) {
  const gw::ActKind kind = kind_arg(a, 0);
  const std::size_t n = count_arg(a, 3, "n");
  F32 x = a.sized(1, "x", n, vec_shape(n));
  F32 y = a.sized(2, "y", n, vec_shape(n));
  const float alpha = alpha_arg(a, 4, kind);
  return [=] { gw::activation_forward(kind, x.data, y.data, n, alpha); };
}

// activation_backward(kind, x, y, dy, dx, n, alpha?)
Task activation_backward(Args& a) {
  const gw::ActKind kind = kind_arg(a, 0);
  const GradBuffers g = grad_buffers(a);
  const std::size_t n = count_arg(a, 5, "n");
  const float alpha = alpha_arg(a, 6, kind);
  require_grad_sizes(a, g, n, vec_shape(n));
  return [=] { gw::activation_backward(kind, g.x.data, g.y.data, g.dy.data, g.dx.data, n, alpha); };
}

// Reads rows and cols at positions i, i+1 and checks rows*cols fits.
void rows_cols(Args& a, std::size_t i, std::size_t* rows, std::size_t* cols, std::string* shape) {
  *rows = count_arg(a, i, "rows");
  *cols = count_arg(a, i + 1, "cols");
  if (*cols != 0 && *rows > static_cast<std::size_t>(kMaxElems) / *cols) {
    a.range_error("rows * cols = " + std::to_string(*rows) + " * " + std::to_string(*cols) + " is too large");
  }
  *shape = shape_of({*rows, *cols});
}

// `names` buffers (arguments 0..) of rows*cols elements each, then rows and cols.
struct RowsArgs {
  F32 buf[3];
  std::size_t rows, cols;
};
RowsArgs rows_args(Args& a, std::initializer_list<const char*> names) {
  RowsArgs r{};
  std::size_t i = 0;
  for (const char* name : names) {
    r.buf[i] = a.f32(i, name);
    ++i;
  }
  std::string shape;
  rows_cols(a, names.size(), &r.rows, &r.cols, &shape);
  i = 0;
  for (const char* name : names) a.require_size(r.buf[i++], name, r.rows * r.cols, shape);
  return r;
}

// (x, y, rows, cols)
template <void (*Kernel)(const float*, float*, std::size_t, std::size_t)>
Task rows_forward(Args& a) {
  const RowsArgs r = rows_args(a, {"x", "y"});
  // rows = 2^40 with cols = 0 passes the size checks; do not walk 2^40 empty rows.
  if (r.rows * r.cols == 0) return [] {};
  return [=] { Kernel(r.buf[0].data, r.buf[1].data, r.rows, r.cols); };
}

// (y, dy, dx, rows, cols)
template <void (*Kernel)(const float*, const float*, float*, std::size_t, std::size_t)>
Task rows_backward(Args& a) {
  const RowsArgs r = rows_args(a, {"y", "dy", "dx"});
  if (r.rows * r.cols == 0) return [] {};  // as in rows_forward: no walk over empty rows
  return [=] { Kernel(r.buf[0].data, r.buf[1].data, r.buf[2].data, r.rows, r.cols); };
}

// activation_backward_bias(kind, x, y, dy, dx, db, rows, cols, alpha?)
Task activation_backward_bias(Args& a) {
  const gw::ActKind kind = kind_arg(a, 0);
  const GradBuffers g = grad_buffers(a);
  F32 db = a.f32(5, "db");
  std::size_t rows, cols;
  std::string shape;
  rows_cols(a, 6, &rows, &cols, &shape);
  const float alpha = alpha_arg(a, 8, kind);
  require_grad_sizes(a, g, rows * cols, shape);
  a.require_size(db, "db", cols, vec_shape(cols));
  // db is summed while dx is written: it must be a buffer of its own.
  const F32* inputs[] = {&g.x, &g.y, &g.dy, &g.dx};
  const char* names[] = {"x", "y", "dy", "dx"};
  for (int k = 0; k < 4; ++k) {
    if (overlaps(db.data, cols, inputs[k]->data, rows * cols)) a.range_error(std::string("argument 'db' overlaps '") + names[k] + "'");
  }
  if (cols == 0) return [] {};  // rows may be 2^40 with cols = 0: nothing to walk
  return [=] { gw::activation_backward_bias(kind, g.x.data, g.y.data, g.dy.data, g.dx.data, db.data, rows, cols, alpha); };
}

}  // namespace

void register_activation_ops() {
  register_op("activation_forward", activation_forward);
  register_op("activation_backward", activation_backward);
  register_op("activation_backward_bias", activation_backward_bias);
  register_op("softmax_forward", rows_forward<gw::softmax_forward>);
  register_op("softmax_backward", rows_backward<gw::softmax_backward>);
  register_op("log_softmax_forward", rows_forward<gw::log_softmax_forward>);
  register_op("log_softmax_backward", rows_backward<gw::log_softmax_backward>);
}

}  // namespace gwb
