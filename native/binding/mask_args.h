// The mask arguments shared by the dropout and dropconnect ops:
//   ..., p, seed, stream, step     (fixed when the op is prepared), or
//   ..., p, hp                     (hp = Float64Array [seed, stream, step], read
//                                   and checked when the task runs: a compiled
//                                   program advances the step between runs).
// seed and stream are integers in [0, 2^32); step is an integer in [0, 2^53); p in [0, 1).
#pragma once
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "binding/args.h"
#include "kernels/dropout.h"

namespace gwb {

struct MaskArgs {
  static constexpr std::int64_t kMaxU32 = 0xFFFFFFFFll;
  static constexpr double kMaxStep = 9007199254740991.0;  // 2^53 - 1

  double p = 0.0;
  bool from_hp = false;
  F64 hp{nullptr, 0};
  gw::DropoutParams fixed{};
  std::string op;

  // The Philox parameters of this run (throws std::range_error for a bad hp value).
  gw::DropoutParams get() const {
    if (!from_hp) return fixed;
    const double seed = checked(0, "seed", static_cast<double>(kMaxU32));
    const double stream = checked(1, "stream", static_cast<double>(kMaxU32));
    const double step = checked(2, "step", kMaxStep);
    return gw::dropout_params(p, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(stream),
                              static_cast<std::uint64_t>(step));
  }

  // hp[3] when hp holds it (the element offset of x[0] in the whole tensor, for
  // data-parallel ranks; dropout only), else 0.
  std::uint64_t offset() const {
    return from_hp && hp.size >= 4 ? static_cast<std::uint64_t>(checked(3, "offset", kMaxStep)) : 0;
  }

 private:
  double checked(int i, const char* name, double max) const {
    const double v = hp.data[i];
    if (!(v >= 0.0 && v <= max && v == std::floor(v))) {
      throw std::range_error(op + ": hp[" + std::to_string(i) + "] (" + name + ") must be an integer in [0, " +
                             (max == kMaxStep ? std::string("2^53)") : std::string("2^32)")) + ", received " +
                             std::to_string(v));
    }
    return v;
  }
};

// p at argument i, then (seed, stream, step) or hp; p_one_note explains why p = 1 is refused.
inline MaskArgs mask_args(Args& a, std::size_t i, const char* p_one_note) {
  MaskArgs m;
  m.op = a.op();
  m.p = a.number(i, "p");
  if (!(m.p >= 0.0 && m.p < 1.0)) {
    a.range_error("argument 'p' must be in [0, 1), received " + std::to_string(m.p) +
                  (m.p == 1.0 ? std::string(" (") + p_one_note + ")" : std::string()));
  }
  if (a.count() == i + 2) {
    m.from_hp = true;
    m.hp = a.f64(i + 1, "hp");
    if (m.hp.size < 3) {
      a.range_error("argument 'hp' must hold [seed, stream, step] (3 elements), received " + std::to_string(m.hp.size));
    }
    return m;
  }
  const auto seed = static_cast<std::uint32_t>(a.integer(i + 1, "seed", 0, MaskArgs::kMaxU32));
  const auto stream = static_cast<std::uint32_t>(a.integer(i + 2, "stream", 0, MaskArgs::kMaxU32));
  const auto step =
      static_cast<std::uint64_t>(a.integer(i + 3, "step", 0, static_cast<std::int64_t>(MaskArgs::kMaxStep)));
  m.fixed = gw::dropout_params(m.p, seed, stream, step);
  return m;
}

}  // namespace gwb
