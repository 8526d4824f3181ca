// gemm ops at the binding boundary: validate arguments, return a task.
#include <limits>
#include <stdexcept>
#include <string>

#include "binding/args.h"
#include "binding/linear_args.h"
#include "kernels/gemm.h"

namespace gwb {
namespace {

// Dimensions and leading dimensions are capped at 2^31 so every product of
// two of them fits in 64 bits.
constexpr std::int64_t kMaxDim = std::int64_t{1} << 31;

std::size_t dim_arg(Args& a, std::size_t i, const char* name) { return a.dim(i, name, 0, kMaxDim); }

// Elements a row-major [rows, cols] matrix with leading dimension ld spans.
std::size_t span(std::size_t rows, std::size_t cols, std::size_t ld) {
  return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
}

std::string shape_ld(std::size_t rows, std::size_t cols, const char* ld_name, std::size_t ld) {
  return shape_of({rows, cols}) + " with " + ld_name + " = " +
         std::to_string(ld);
}

// A matrix argument: checks the leading dimension and the buffer's size.
const float* matrix_arg(Args& a, const F32& t, const char* name, std::size_t rows, std::size_t cols,
                        const char* ld_name, std::size_t ld) {
  const std::size_t min_ld = cols > 0 ? cols : 1;
  if (ld < min_ld) {
    a.range_error(std::string("argument '") + ld_name + "' = " + std::to_string(ld) + " is smaller than the " +
                  std::to_string(cols) + " columns of '" + name + "' " +
                  shape_of({rows, cols}) + " (needs >= " +
                  std::to_string(min_ld) + ")");
  }
  a.require_size(t, name, span(rows, cols, ld), shape_ld(rows, cols, ld_name, ld));
  return t.data;
}

// gemm(transA, transB, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc)
Task gemm(Args& a) {
  const bool trans_a = a.boolean(0, "transA");
  const bool trans_b = a.boolean(1, "transB");
  const std::size_t M = dim_arg(a, 2, "M");
  const std::size_t N = dim_arg(a, 3, "N");
  const std::size_t K = dim_arg(a, 4, "K");
  const float alpha = static_cast<float>(a.number(5, "alpha"));
  F32 A = a.f32(6, "a");
  const std::size_t lda = dim_arg(a, 7, "lda");
  F32 B = a.f32(8, "b");
  const std::size_t ldb = dim_arg(a, 9, "ldb");
  const float beta = static_cast<float>(a.number(10, "beta"));
  F32 C = a.f32(11, "c");
  const std::size_t ldc = dim_arg(a, 12, "ldc");

  const std::size_t a_rows = trans_a ? K : M, a_cols = trans_a ? M : K;
  const std::size_t b_rows = trans_b ? N : K, b_cols = trans_b ? K : N;
  const float* pa = matrix_arg(a, A, "a", a_rows, a_cols, "lda", lda);
  const float* pb = matrix_arg(a, B, "b", b_rows, b_cols, "ldb", ldb);
  float* pc = const_cast<float*>(matrix_arg(a, C, "c", M, N, "ldc", ldc));
  const std::size_t c_span = span(M, N, ldc);
  if (overlaps(pc, c_span, pa, span(a_rows, a_cols, lda)) || overlaps(pc, c_span, pb, span(b_rows, b_cols, ldb))) {
    a.range_error("argument 'c' overlaps 'a' or 'b' in memory; the output must not alias an input");
  }
  // An empty C (M = 2^31, N = 0 passes the size checks) has nothing to compute.
  if (M == 0 || N == 0) return [] {};
  return [=] { gw::sgemm(trans_a, trans_b, M, N, K, alpha, pa, lda, pb, ldb, beta, pc, ldc); };
}

// linear_forward(x, w, bias|null, y, rows, inFeatures, outFeatures, activation = "none")
Task linear_forward(Args& a) {
  const LinearArgs l = linear_args(a);
  if (l.rows == 0 || l.out == 0) return [] {};  // empty y: nothing to compute
  return [=] { gw::linear_forward(l.x.data, l.w.data, l.bias, l.y.data, l.rows, l.in, l.out, l.relu); };
}

// bias_grad(dy, db, rows, cols): db[c] = sum_r dy[r, c]
Task bias_grad(Args& a) {
  F32 dy = a.f32(0, "dy");
  F32 db = a.f32(1, "db");
  const std::size_t rows = dim_arg(a, 2, "rows");
  const std::size_t cols = dim_arg(a, 3, "cols");
  a.require_size(dy, "dy", rows * cols,
                 shape_of({rows, cols}));
  a.require_size(db, "db", cols, shape_of({cols}));
  if (overlaps(db.data, cols, dy.data, rows * cols)) {
    a.range_error("argument 'db' overlaps 'dy' in memory; the output must not alias an input");
  }
  if (cols == 0) return [] {};  // empty db: nothing to compute (rows may be huge)
  return [=] { gw::bias_grad(dy.data, db.data, rows, cols); };
}

// The gathered input of the first Dense layer: rows index[0..rows) of the
// uint8 table src ([srcRows, inFeatures]), times scale. Checks index against
// the table now and again on every run (the program refills it).
struct GatheredArgs {
  gw::GatheredU8 x;
  std::size_t src_rows;
  I32 index;
  U8 src;
};

GatheredArgs gathered_args(Args& a, std::size_t rows, std::size_t in) {
  GatheredArgs g{};
  g.src = a.u8(0, "src");
  g.index = a.i32(1, "index");
  const double scale = a.number(2, "scale");
  if (g.index.size < rows) {
    a.range_error("argument 'index' has " + std::to_string(g.index.size) + " elements but rows = " + std::to_string(rows));
  }
  if (in > 0 && g.src.size % in != 0) {
    a.range_error("argument 'src' has " + std::to_string(g.src.size) + " elements, not a whole number of rows of inFeatures = " +
                  std::to_string(in));
  }
  // inFeatures = 0 reads nothing: any non-negative index will do.
  g.src_rows = in > 0 ? g.src.size / in : std::numeric_limits<std::size_t>::max();
  const std::string bad = bad_index(g.index.data, rows, g.src_rows, "a source");
  if (!bad.empty()) a.range_error(bad);
  g.x = gw::GatheredU8{g.src.data, g.index.data, in, static_cast<float>(scale)};
  return g;
}

// Whether the float output out[0..n) shares memory with the gathered input's table or index.
bool output_overlaps_gathered(const GatheredArgs& g, const float* out, std::size_t n, std::size_t rows) {
  return overlaps_bytes(out, n * sizeof(float), g.src.data, g.src.size) ||
         overlaps_bytes(out, n * sizeof(float), g.index.data, rows * sizeof(std::int32_t));
}

// linear_forward_u8(src: Uint8Array, index, scale, w, bias|null, y, rows, inFeatures, outFeatures, activation = "none"):
// linear_forward on x = the gathered rows (gather_rows with a uint8 source), without writing x.
Task linear_forward_u8(Args& a) {
  const std::size_t rows = dim_arg(a, 6, "rows");
  const std::size_t in = dim_arg(a, 7, "inFeatures");
  const std::size_t out = dim_arg(a, 8, "outFeatures");
  const GatheredArgs g = gathered_args(a, rows, in);
  F32 w = a.f32(3, "w");
  F32 bias = a.f32_or_null(4, "bias");
  F32 y = a.f32(5, "y");
  const std::string activation = a.is_undefined(9) ? std::string("none") : a.string(9, "activation");
  if (activation != "relu" && activation != "none") {
    a.range_error("argument 'activation' must be \"none\" or \"relu\", received \"" + activation + "\"");
  }
  const bool relu = activation == "relu";
  a.require_size(w, "w", in * out, shape_of({in, out}));
  a.require_size(y, "y", rows * out, shape_of({rows, out}));
  const bool has_bias = bias.data != nullptr || bias.size > 0;
  if (has_bias) a.require_size(bias, "bias", out, shape_of({out}));
  if (overlaps(y.data, rows * out, w.data, in * out) || (has_bias && overlaps(y.data, rows * out, bias.data, out)) ||
      output_overlaps_gathered(g, y.data, rows * out, rows)) {
    a.range_error("argument 'y' overlaps an input in memory; the output must not alias an input");
  }
  if (rows == 0 || out == 0) return [] {};
  const std::string op = a.op();
  const float* b = has_bias ? bias.data : nullptr;
  return [=] {
    const std::string bad = bad_index(g.index.data, rows, g.src_rows, "a source");
    if (!bad.empty()) throw std::range_error(op + ": " + bad);
    gw::linear_forward_gathered(g.x, w.data, b, y.data, rows, in, out, relu);
  };
}

// db (optional) of weight_grad and weight_grad_u8: [out], apart from dw and g.
float* bias_grad_arg(Args& a, std::size_t i, std::size_t out, const F32& dw, std::size_t dw_n, const F32& g,
                     std::size_t g_n) {
  if (!a.is_typed(i, napi_float32_array)) {
    a.f32_or_null(i, "db");  // null/undefined, else the TypeError
    return nullptr;
  }
  F32 db = a.f32(i, "db");
  a.require_size(db, "db", out, shape_of({out}));
  if (overlaps(db.data, out, dw.data, dw_n) || overlaps(db.data, out, g.data, g_n)) {
    a.range_error("argument 'db' overlaps 'dw' or 'g' in memory; the outputs must not alias each other or an input");
  }
  return db.data;
}

// weight_grad_u8(src: Uint8Array, index, scale, g, dw, db|null, rows, inFeatures, outFeatures):
// weight_grad for x the gathered rows [rows, in].
Task weight_grad_u8(Args& a) {
  const std::size_t rows = dim_arg(a, 6, "rows");
  const std::size_t in = dim_arg(a, 7, "inFeatures");
  const std::size_t out = dim_arg(a, 8, "outFeatures");
  const GatheredArgs gx = gathered_args(a, rows, in);
  F32 g = a.f32(3, "g");
  F32 dw = a.f32(4, "dw");
  a.require_size(g, "g", rows * out, shape_of({rows, out}));
  a.require_size(dw, "dw", in * out, shape_of({in, out}));
  if (overlaps(dw.data, in * out, g.data, rows * out) || output_overlaps_gathered(gx, dw.data, in * out, rows)) {
    a.range_error("argument 'dw' overlaps an input in memory; the output must not alias an input");
  }
  float* db = bias_grad_arg(a, 5, out, dw, in * out, g, rows * out);
  if (db && output_overlaps_gathered(gx, db, out, rows)) {
    a.range_error("argument 'db' overlaps an input in memory; the output must not alias an input");
  }
  if (out == 0) return [] {};
  const std::string op = a.op();
  return [=] {
    const std::string bad = bad_index(gx.index.data, rows, gx.src_rows, "a source");
    if (!bad.empty()) throw std::range_error(op + ": " + bad);
    gw::weight_grad_gathered(gx.x, g.data, dw.data, db, rows, in, out);
  };
}

// weight_grad(x, g, dw, db|null, rows, inFeatures, outFeatures): a dense layer's
// dw[in, out] = x^T g and db = column sums of g (what gemm + bias_grad compute).
Task weight_grad(Args& a) {
  const std::size_t rows = dim_arg(a, 4, "rows");
  const std::size_t in = dim_arg(a, 5, "inFeatures");
  const std::size_t out = dim_arg(a, 6, "outFeatures");
  F32 x = a.f32(0, "x");
  F32 g = a.f32(1, "g");
  F32 dw = a.f32(2, "dw");
  a.require_size(x, "x", rows * in, shape_of({rows, in}));
  a.require_size(g, "g", rows * out, shape_of({rows, out}));
  a.require_size(dw, "dw", in * out, shape_of({in, out}));
  if (overlaps(dw.data, in * out, g.data, rows * out) || overlaps(dw.data, in * out, x.data, rows * in)) {
    a.range_error("argument 'dw' overlaps an input in memory; the output must not alias an input");
  }
  float* db = bias_grad_arg(a, 3, out, dw, in * out, g, rows * out);
  if (db && overlaps(db, out, x.data, rows * in)) {
    a.range_error("argument 'db' overlaps an input in memory; the output must not alias an input");
  }
  if (out == 0) return [] {};
  return [=] { gw::weight_grad(x.data, g.data, dw.data, db, rows, in, out); };
}

// input_grad(g, w, dx, mask|null, rows, inFeatures, outFeatures): a dense layer's
// dx[rows, in] = g W^T; with mask [rows, in] (the ReLU output of the layer below)
// also that ReLU's backward: dx = mask > 0 ? dx : 0.
Task input_grad(Args& a) {
  const std::size_t rows = dim_arg(a, 4, "rows");
  const std::size_t in = dim_arg(a, 5, "inFeatures");
  const std::size_t out = dim_arg(a, 6, "outFeatures");
  F32 g = a.f32(0, "g");
  F32 w = a.f32(1, "w");
  F32 dx = a.f32(2, "dx");
  const bool has_mask = a.is_typed(3, napi_float32_array);
  F32 mask = a.f32_or_null(3, "mask");
  a.require_size(g, "g", rows * out, shape_of({rows, out}));
  a.require_size(w, "w", in * out, shape_of({in, out}));
  a.require_size(dx, "dx", rows * in, shape_of({rows, in}));
  if (has_mask) a.require_size(mask, "mask", rows * in, shape_of({rows, in}));
  if (overlaps(dx.data, rows * in, g.data, rows * out) || overlaps(dx.data, rows * in, w.data, in * out) ||
      (has_mask && overlaps(dx.data, rows * in, mask.data, rows * in))) {
    a.range_error("argument 'dx' overlaps an input in memory; the output must not alias an input");
  }
  if (rows == 0 || in == 0) return [] {};
  const float* m = has_mask ? mask.data : nullptr;
  return [=] { gw::input_grad(g.data, w.data, dx.data, m, rows, in, out); };
}

}  // namespace

void register_gemm_ops() {
  register_op("linear_forward_u8", linear_forward_u8);
  register_op("weight_grad_u8", weight_grad_u8);
  register_op("weight_grad", weight_grad);
  register_op("input_grad", input_grad);
  register_op("gemm", gemm);
  register_op("linear_forward", linear_forward);
  register_op("bias_grad", bias_grad);
}

}  // namespace gwb
