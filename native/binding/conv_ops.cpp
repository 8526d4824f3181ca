// conv ops at the binding boundary: validate arguments, return a task (native/OPS.md, "conv").
//
// conv2d_forward(x, w, bias|null, y, N, C, H, W, K, kh, kw, sh, sw, ph, pw, dilH, dilW, groups, activation="none")
// conv2d_backward_data(dy, w, dx, N, C, H, W, K, kh, kw, sh, sw, ph, pw, dilH, dilW, groups)
// conv2d_backward_filter(x, dy, dw, db|null, N, C, H, W, K, kh, kw, sh, sw, ph, pw, dilH, dilW, groups)
// maxpool2d_forward(x, y, argmax: Int32Array, N, C, H, W, kh, kw, sh, sw, ph, pw)
// maxpool2d_backward(dy, argmax, dx, N, C, H, W, kh, kw, sh, sw, ph, pw)
// avgpool2d_forward(x, y, N, C, H, W, kh, kw, sh, sw, ph, pw, countIncludePad)
// avgpool2d_backward(dy, dx, N, C, H, W, kh, kw, sh, sw, ph, pw, countIncludePad)
// global_avgpool2d_forward(x, y, N, C, H, W), global_avgpool2d_backward(dy, dx, N, C, H, W)
// stochpool2d_forward_train(x, y, choice: Int32Array, N, C, H, W, kh, kw, sh, sw, ph, pw, seed, stream, step | hp)
// stochpool2d_forward_eval(x, y, N, C, H, W, kh, kw, sh, sw, ph, pw)
// stochpool2d_backward_train(dy, choice, dx, N, C, H, W, kh, kw, sh, sw, ph, pw)
// stochpool2d_backward_eval(x, dy, dx, N, C, H, W, kh, kw, sh, sw, ph, pw)
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "binding/args.h"
#include "kernels/conv.h"

namespace gwb {
namespace {

constexpr std::int64_t kMaxDim = std::int64_t{1} << 31;

std::size_t checked_product(Args& a, std::initializer_list<std::size_t> dims, const std::string& what) {
  std::size_t p = 1;
  for (std::size_t d : dims) {
    if (d != 0 && p > (std::size_t{1} << 40) / d) a.range_error(what + " is too large (more than 2^40 elements)");
    p *= d;
  }
  return p;
}

std::string str(std::size_t v) { return std::to_string(v); }

bool overlaps(const void* p, std::size_t n, const void* q, std::size_t m) {
  const char* a = static_cast<const char*>(p);
  const char* b = static_cast<const char*>(q);
  if (!a || !b || n == 0 || m == 0) return false;
  return a < b + m && b < a + n;
}

void require_distinct(Args& a, const char* out, const void* po, std::size_t no,
                      std::initializer_list<std::pair<const void*, std::size_t>> ins) {
  for (const auto& in : ins) {
    if (overlaps(po, no, in.first, in.second)) {
      a.range_error(std::string("argument '") + out + "' overlaps an input in memory; the output must not alias an input");
    }
  }
}

// Reads consecutive dimensions from argument i on: each into its field, at least its minimum.
struct DimArg {
  std::size_t* field;
  const char* name;
  std::int64_t min;
};
void read_dims(Args& a, std::size_t i, std::initializer_list<DimArg> dims) {
  for (const DimArg& d : dims) *d.field = a.dim(i++, d.name, d.min, kMaxDim);
}

// The shape block at argument i: N, C, H, W, K, kh, kw, sh, sw, ph, pw, dilH, dilW, groups.
gw::ConvShape conv_shape(Args& a, std::size_t i) {
  gw::ConvShape s{};
  read_dims(a, i, {{&s.N, "N", 0}, {&s.C, "C", 1}, {&s.H, "H", 1}, {&s.W, "W", 1}, {&s.K, "K", 1}, {&s.kh, "kh", 1},
                  {&s.kw, "kw", 1}, {&s.sh, "sh", 1}, {&s.sw, "sw", 1}, {&s.ph, "ph", 0}, {&s.pw, "pw", 0},
                  {&s.dh, "dilH", 1}, {&s.dw, "dilW", 1}, {&s.groups, "groups", 1}});
  if (s.C % s.groups != 0) {
    a.range_error("argument 'groups' (" + str(s.groups) + ") must divide the input channels C (" + str(s.C) + ")");
  }
  if (s.K % s.groups != 0) {
    a.range_error("argument 'groups' (" + str(s.groups) + ") must divide the output channels K (" + str(s.K) + ")");
  }
  checked_product(a, {s.kh, s.dh}, "kh*dilH");
  checked_product(a, {s.kw, s.dw}, "kw*dilW");
  if (s.dh * (s.kh - 1) + 1 > s.H + 2 * s.ph) {
    a.range_error("argument 'kh': the kernel height dilH*(kh-1)+1 = " + str(s.dh * (s.kh - 1) + 1) +
                  " exceeds the padded input height H+2*ph = " + str(s.H + 2 * s.ph));
  }
  if (s.dw * (s.kw - 1) + 1 > s.W + 2 * s.pw) {
    a.range_error("argument 'kw': the kernel width dilW*(kw-1)+1 = " + str(s.dw * (s.kw - 1) + 1) +
                  " exceeds the padded input width W+2*pw = " + str(s.W + 2 * s.pw));
  }
  s.OH = gw::conv_output_size(s.H, s.kh, s.sh, s.ph, s.dh);
  s.OW = gw::conv_output_size(s.W, s.kw, s.sw, s.pw, s.dw);
  checked_product(a, {s.N, s.C, s.H, s.W}, "the input N*C*H*W");
  checked_product(a, {s.N, s.K, s.OH, s.OW}, "the output N*K*OH*OW");
  checked_product(a, {s.K, s.cg(), s.kh, s.kw}, "the weight K*(C/groups)*kh*kw");
  checked_product(a, {s.cg(), s.kh, s.kw, s.OH, s.OW}, "the unfolded patches (C/groups)*kh*kw*OH*OW");
  return s;
}

struct ConvSizes {
  std::size_t x, y, w;
  std::string xs, ys, ws, bs;
};
ConvSizes conv_sizes(const gw::ConvShape& s) {
  return {s.N * s.C * s.H * s.W, s.N * s.K * s.OH * s.OW, s.K * s.ckk(), shape_of({s.N, s.C, s.H, s.W}),
          shape_of({s.N, s.K, s.OH, s.OW}), shape_of({s.K, s.cg(), s.kh, s.kw}), shape_of({s.K})};
}

// A convolution buffer at argument i: the input [N, C, H, W], the output [N, K, OH, OW], the weight
// [K, C/groups, kh, kw], or the optional bias [K] (null allowed).
enum class ConvBuf { kIn, kOut, kWeight, kBias };
F32 conv_buf(Args& a, std::size_t i, const char* name, ConvBuf b, const gw::ConvShape& s, const ConvSizes& z) {
  switch (b) {
    case ConvBuf::kIn:
      return a.sized(i, name, z.x, z.xs);
    case ConvBuf::kOut:
      return a.sized(i, name, z.y, z.ys);
    case ConvBuf::kWeight:
      return a.sized(i, name, z.w, z.ws);
    default:
      return a.sized_or_null(i, name, s.K, z.bs);
  }
}

// The shape block at argument i: N, C, H, W, kh, kw, sh, sw, ph, pw (torch: pad <= kernel/2).
gw::PoolShape pool_shape(Args& a, std::size_t i) {
  gw::PoolShape s{};
  read_dims(a, i, {{&s.N, "N", 0}, {&s.C, "C", 1}, {&s.H, "H", 1}, {&s.W, "W", 1}, {&s.kh, "kh", 1}, {&s.kw, "kw", 1},
                  {&s.sh, "sh", 1}, {&s.sw, "sw", 1}, {&s.ph, "ph", 0}, {&s.pw, "pw", 0}});
  if (2 * s.ph > s.kh) a.range_error("argument 'ph' (" + str(s.ph) + ") must be at most kh/2 (kh = " + str(s.kh) + ")");
  if (2 * s.pw > s.kw) a.range_error("argument 'pw' (" + str(s.pw) + ") must be at most kw/2 (kw = " + str(s.kw) + ")");
  if (s.kh > s.H + 2 * s.ph) {
    a.range_error("argument 'kh' (" + str(s.kh) + ") exceeds the padded input height H+2*ph = " + str(s.H + 2 * s.ph));
  }
  if (s.kw > s.W + 2 * s.pw) {
    a.range_error("argument 'kw' (" + str(s.kw) + ") exceeds the padded input width W+2*pw = " + str(s.W + 2 * s.pw));
  }
  s.OH = gw::conv_output_size(s.H, s.kh, s.sh, s.ph, 1);
  s.OW = gw::conv_output_size(s.W, s.kw, s.sw, s.pw, 1);
  checked_product(a, {s.N, s.C, s.H, s.W}, "the input N*C*H*W");
  return s;
}

I32 sized_i32(Args& a, std::size_t i, const char* name, std::size_t n, const std::string& shape) {
  I32 t = a.i32(i, name);
  if (t.size < n) {
    a.range_error(std::string("argument '") + name + "' has " + str(t.size) + " elements but shape " + shape +
                  " needs " + str(n));
  }
  return t;
}

// One buffer of a pooling op: on the input plane (N, C, H, W) or the output plane (N, C, OH, OW),
// a Float32Array or an Int32Array (an index per output), read or written.
struct PoolBuf {
  const char* name;
  bool out_plane, index, written;
};
constexpr PoolBuf in_plane(const char* n) { return {n, false, false, false}; }
constexpr PoolBuf out_plane(const char* n) { return {n, true, false, false}; }
constexpr PoolBuf written(PoolBuf b) { return {b.name, b.out_plane, b.index, true}; }
constexpr PoolBuf index_plane(const char* n) { return {n, true, true, false}; }  // Int32Array, output plane

// The buffers (arguments 0..) and the shape block after them; a written buffer must not overlap another one.
struct PoolArgs {
  gw::PoolShape s;
  float* f[3];        // the Float32Array buffers, in order
  std::int32_t* idx;  // the index buffer, if any
};
PoolArgs pool_args(Args& a, std::initializer_list<PoolBuf> bufs) {
  PoolArgs p{};
  p.s = pool_shape(a, bufs.size());
  const gw::PoolShape& s = p.s;
  const std::size_t nx = s.N * s.C * s.H * s.W, ny = s.N * s.C * s.OH * s.OW;
  const std::string xs = shape_of({s.N, s.C, s.H, s.W}), ys = shape_of({s.N, s.C, s.OH, s.OW});
  const void* data[3] = {};
  std::size_t bytes[3] = {};
  std::size_t i = 0, nf = 0;
  for (const PoolBuf& b : bufs) {
    const std::size_t n = b.out_plane ? ny : nx;
    if (b.index) {
      p.idx = sized_i32(a, i, b.name, n, ys).data;
      data[i] = p.idx;
    } else {
      p.f[nf] = a.sized(i, b.name, n, b.out_plane ? ys : xs).data;
      data[i] = p.f[nf++];
    }
    bytes[i++] = n * 4;
  }
  i = 0;
  for (const PoolBuf& b : bufs) {
    if (b.written) {
      for (std::size_t j = 0; j < bufs.size(); ++j) {
        if (j != i && overlaps(data[i], bytes[i], data[j], bytes[j])) {
          a.range_error(std::string("argument '") + b.name + "' overlaps an input in memory; the output must not alias an input");
        }
      }
    }
    ++i;
  }
  return p;
}

Task conv2d_forward(Args& a) {
  const gw::ConvShape s = conv_shape(a, 4);
  const ConvSizes z = conv_sizes(s);
  F32 x = conv_buf(a, 0, "x", ConvBuf::kIn, s, z), w = conv_buf(a, 1, "w", ConvBuf::kWeight, s, z);
  F32 bias = conv_buf(a, 2, "bias", ConvBuf::kBias, s, z), y = conv_buf(a, 3, "y", ConvBuf::kOut, s, z);
  bool relu = false;
  if (a.count() > 18 && !a.is_undefined(18)) {
    const std::string act = a.string(18, "activation");
    if (act == "relu") {
      relu = true;
    } else if (act != "none") {
      a.range_error("argument 'activation' must be \"none\" or \"relu\", received \"" + act + "\"");
    }
  }
  require_distinct(a, "y", y.data, z.y * 4, {{x.data, z.x * 4}, {w.data, z.w * 4}, {bias.data, bias.data ? s.K * 4 : 0}});
  if (s.N == 0) return [] {};
  return [=] { gw::conv2d_forward(x.data, w.data, bias.data, y.data, s, relu); };
}

Task conv2d_backward_data(Args& a) {
  const gw::ConvShape s = conv_shape(a, 3);
  const ConvSizes z = conv_sizes(s);
  F32 dy = conv_buf(a, 0, "dy", ConvBuf::kOut, s, z), w = conv_buf(a, 1, "w", ConvBuf::kWeight, s, z);
  F32 dx = conv_buf(a, 2, "dx", ConvBuf::kIn, s, z);
  require_distinct(a, "dx", dx.data, z.x * 4, {{dy.data, z.y * 4}, {w.data, z.w * 4}});
  if (s.N == 0) return [] {};
  return [=] { gw::conv2d_backward_data(dy.data, w.data, dx.data, s); };
}

Task conv2d_backward_filter(Args& a) {
  const gw::ConvShape s = conv_shape(a, 4);
  const ConvSizes z = conv_sizes(s);
  F32 x = conv_buf(a, 0, "x", ConvBuf::kIn, s, z), dy = conv_buf(a, 1, "dy", ConvBuf::kOut, s, z);
  F32 dw = conv_buf(a, 2, "dw", ConvBuf::kWeight, s, z), db = conv_buf(a, 3, "db", ConvBuf::kBias, s, z);
  require_distinct(a, "dw", dw.data, z.w * 4, {{x.data, z.x * 4}, {dy.data, z.y * 4}, {db.data, db.data ? s.K * 4 : 0}});
  require_distinct(a, "db", db.data, db.data ? s.K * 4 : 0, {{x.data, z.x * 4}, {dy.data, z.y * 4}});
  return [=] { gw::conv2d_backward_filter(x.data, dy.data, dw.data, db.data, s); };
}

Task maxpool2d_forward(Args& a) {
  const PoolArgs p = pool_args(a, {in_plane("x"), written(out_plane("y")), written(index_plane("argmax"))});
  if (p.s.N == 0) return [] {};
  return [=] { gw::maxpool2d_forward(p.f[0], p.f[1], p.idx, p.s); };
}

Task maxpool2d_backward(Args& a) {
  const PoolArgs p = pool_args(a, {out_plane("dy"), index_plane("argmax"), written(in_plane("dx"))});
  if (p.s.N == 0) return [] {};
  return [=] { gw::maxpool2d_backward(p.f[0], p.idx, p.f[1], p.s); };
}

Task avgpool2d_forward(Args& a) {
  const PoolArgs p = pool_args(a, {in_plane("x"), written(out_plane("y"))});
  const bool include = a.boolean(12, "countIncludePad");
  if (p.s.N == 0) return [] {};
  return [=] { gw::avgpool2d_forward(p.f[0], p.f[1], p.s, include); };
}

Task avgpool2d_backward(Args& a) {
  const PoolArgs p = pool_args(a, {out_plane("dy"), written(in_plane("dx"))});
  const bool include = a.boolean(12, "countIncludePad");
  if (p.s.N == 0) return [] {};
  return [=] { gw::avgpool2d_backward(p.f[0], p.f[1], p.s, include); };
}

struct GlobalShape {
  std::size_t planes, hw;
  std::string xs, ys;
};
GlobalShape global_shape(Args& a, std::size_t i) {
  const std::size_t N = a.dim(i, "N", 0, kMaxDim), C = a.dim(i + 1, "C", 1, kMaxDim);
  const std::size_t H = a.dim(i + 2, "H", 1, kMaxDim), W = a.dim(i + 3, "W", 1, kMaxDim);
  checked_product(a, {N, C, H, W}, "the input N*C*H*W");
  return {N * C, H * W, shape_of({N, C, H, W}), shape_of({N, C})};
}

Task global_avgpool2d_forward(Args& a) {
  const GlobalShape g = global_shape(a, 2);
  F32 x = a.sized(0, "x", g.planes * g.hw, g.xs);
  F32 y = a.sized(1, "y", g.planes, g.ys);
  require_distinct(a, "y", y.data, g.planes * 4, {{x.data, g.planes * g.hw * 4}});
  if (g.planes == 0) return [] {};
  return [=] { gw::global_avgpool2d_forward(x.data, y.data, g.planes, g.hw); };
}

Task global_avgpool2d_backward(Args& a) {
  const GlobalShape g = global_shape(a, 2);
  F32 dy = a.sized(0, "dy", g.planes, g.ys);
  F32 dx = a.sized(1, "dx", g.planes * g.hw, g.xs);
  require_distinct(a, "dx", dx.data, g.planes * g.hw * 4, {{dy.data, g.planes * 4}});
  if (g.planes == 0) return [] {};
  return [=] { gw::global_avgpool2d_backward(dy.data, dx.data, g.planes, g.hw); };
}

// The sampling key at argument i: (seed, stream, step) or hp = Float64Array [seed, stream, step]
// (read when the task runs, so a compiled program can advance the step).
struct KeyArgs {
  bool from_hp;
  F64 hp;
  gw::StochasticKey fixed;
  std::string op;
  gw::StochasticKey get() const {
    if (!from_hp) return fixed;
    const double lim[3] = {4294967295.0, 4294967295.0, 9007199254740991.0};
    const char* names[3] = {"seed", "stream", "step"};
    for (int k = 0; k < 3; ++k) {
      const double v = hp.data[k];
      if (!(v >= 0.0 && v <= lim[k] && v == std::floor(v))) {
        throw std::range_error(op + ": hp[" + std::to_string(k) + "] (" + names[k] + ") must be an integer in [0, " +
                               (k == 2 ? "2^53)" : "2^32)") + ", received " + num_str(v));
      }
    }
    return {static_cast<std::uint32_t>(hp.data[0]), static_cast<std::uint32_t>(hp.data[1]),
            static_cast<std::uint64_t>(hp.data[2])};
  }
};

KeyArgs key_args(Args& a, std::size_t i) {
  KeyArgs k{};
  k.op = a.op();
  if (a.count() == i + 1) {
    k.from_hp = true;
    k.hp = a.f64(i, "hp");
    if (k.hp.size < 3) a.range_error("argument 'hp' must hold [seed, stream, step] (3 elements), received " + str(k.hp.size));
    return k;
  }
  k.from_hp = false;
  k.hp = F64{nullptr, 0};
  k.fixed.seed = static_cast<std::uint32_t>(a.integer(i, "seed", 0, 0xFFFFFFFFll));
  k.fixed.stream = static_cast<std::uint32_t>(a.integer(i + 1, "stream", 0, 0xFFFFFFFFll));
  k.fixed.step = static_cast<std::uint64_t>(a.integer(i + 2, "step", 0, 9007199254740991ll));
  return k;
}

Task stochpool2d_forward_train(Args& a) {
  const PoolArgs p = pool_args(a, {in_plane("x"), written(out_plane("y")), written(index_plane("choice"))});
  const KeyArgs key = key_args(a, 13);
  if (p.s.N == 0) return [] {};
  return [=] { gw::stochpool2d_forward_train(p.f[0], p.f[1], p.idx, p.s, key.get()); };
}

Task stochpool2d_forward_eval(Args& a) {
  const PoolArgs p = pool_args(a, {in_plane("x"), written(out_plane("y"))});
  if (p.s.N == 0) return [] {};
  return [=] { gw::stochpool2d_forward_eval(p.f[0], p.f[1], p.s); };
}

Task stochpool2d_backward_train(Args& a) {
  const PoolArgs p = pool_args(a, {out_plane("dy"), index_plane("choice"), written(in_plane("dx"))});
  if (p.s.N == 0) return [] {};
  return [=] { gw::stochpool2d_backward_train(p.f[0], p.idx, p.f[1], p.s); };
}

Task stochpool2d_backward_eval(Args& a) {
  const PoolArgs p = pool_args(a, {in_plane("x"), out_plane("dy"), written(in_plane("dx"))});
  if (p.s.N == 0) return [] {};
  return [=] { gw::stochpool2d_backward_eval(p.f[0], p.f[1], p.f[2], p.s); };
}

}  // namespace

void register_conv_ops() {
  register_op("conv2d_forward", conv2d_forward);
  register_op("conv2d_backward_data", conv2d_backward_data);
  register_op("conv2d_backward_filter", conv2d_backward_filter);
  register_op("maxpool2d_forward", maxpool2d_forward);
  register_op("maxpool2d_backward", maxpool2d_backward);
  register_op("avgpool2d_forward", avgpool2d_forward);
  register_op("avgpool2d_backward", avgpool2d_backward);
  register_op("global_avgpool2d_forward", global_avgpool2d_forward);
  register_op("global_avgpool2d_backward", global_avgpool2d_backward);
  register_op("stochpool2d_forward_train", stochpool2d_forward_train);
  register_op("stochpool2d_forward_eval", stochpool2d_forward_eval);
  register_op("stochpool2d_backward_train", stochpool2d_backward_train);
  register_op("stochpool2d_backward_eval", stochpool2d_backward_eval);
}

}  // namespace gwb
