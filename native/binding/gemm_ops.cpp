// gemm ops at the binding boundary: validate arguments, return a task.
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

}  // namespace

void register_gemm_ops() {
  register_op("gemm", gemm);
  register_op("linear_forward", linear_forward);
  register_op("bias_grad", bias_grad);
}

}  // namespace gwb
