// Data-movement ops and program control at the binding boundary.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <string>

#include "binding/args.h"
#include "kernels/data.h"

namespace gwb {
namespace {

std::size_t count_arg(Args& a, std::size_t i, const char* name) { return a.dim(i, name); }

// gather_rows(src: Float32Array | Uint8Array, index: Int32Array, rows, cols, dst: Float32Array, scale = 1)
Task gather_rows(Args& a) {
  const std::size_t rows = count_arg(a, 2, "rows");
  const std::size_t cols = count_arg(a, 3, "cols");
  F32 dst = a.f32(4, "dst");
  I32 index = a.i32(1, "index");
  if (index.size < rows) {
    a.range_error("argument 'index' has " + std::to_string(index.size) + " elements but rows = " + std::to_string(rows));
  }
  a.require_size(dst, "dst", rows * cols, shape_of({rows, cols}));
  auto check_index = [&](std::size_t src_rows) {
    const std::string bad = bad_index(index.data, rows, src_rows, "a source");
    if (!bad.empty()) a.range_error(bad);
  };
  const std::string op = a.op();
  const double scale = a.number_or(5, "scale", 1.0);
  if (a.is_u8(0)) {
    U8 src = a.u8(0, "src");
    if (cols == 0) return [] {};
    const std::size_t src_rows = src.size / cols;
    check_index(src_rows);
    const float s = static_cast<float>(scale);
    return [=] {
      const std::string bad = bad_index(index.data, rows, src_rows, "a source");
      if (!bad.empty()) throw std::range_error(op + ": " + bad);
      gw::gather_rows_u8(src.data, index.data, rows, cols, s, dst.data);
    };
  }
  F32 src = a.f32(0, "src");
  if (cols == 0) return [] {};
  const std::size_t src_rows = src.size / cols;
  check_index(src_rows);
  if (scale != 1.0) a.range_error("argument 'scale' is only supported for a Uint8Array source");
  return [=] {
    const std::string bad = bad_index(index.data, rows, src_rows, "a source");
    if (!bad.empty()) throw std::range_error(op + ": " + bad);
    gw::gather_rows_f32(src.data, index.data, rows, cols, dst.data);
  };
}

// gather_i32(src: Int32Array, index: Int32Array, n, dst: Int32Array)
Task gather_i32(Args& a) {
  I32 src = a.i32(0, "src");
  I32 index = a.i32(1, "index");
  const std::size_t n = count_arg(a, 2, "n");
  I32 dst = a.i32(3, "dst");
  if (index.size < n || dst.size < n) {
    a.range_error("arguments 'index' (" + std::to_string(index.size) + ") and 'dst' (" + std::to_string(dst.size) +
                  ") need at least n = " + std::to_string(n) + " elements");
  }
  const std::string bad = bad_index(index.data, n, src.size, "'src'");
  if (!bad.empty()) a.range_error(bad);
  const std::string op = a.op();
  return [=] {
    const std::string bad_now = bad_index(index.data, n, src.size, "'src'");
    if (!bad_now.empty()) throw std::range_error(op + ": " + bad_now);
    gw::gather_i32(src.data, index.data, n, dst.data);
  };
}

// fill(x: Float32Array, value, n = x.length)
Task fill(Args& a) {
  F32 x = a.f32(0, "x");
  const float value = static_cast<float>(a.number(1, "value"));
  const std::size_t n = a.is_undefined(2) ? x.size : count_arg(a, 2, "n");
  a.require_size(x, "x", n, shape_of({n}));
  return [=] { gw::fill_f32(x.data, n, value); };
}

// copy(src: Float32Array, dst: Float32Array, n = src.length)
Task copy(Args& a) {
  F32 src = a.f32(0, "src");
  F32 dst = a.f32(1, "dst");
  const std::size_t n = a.is_undefined(2) ? src.size : count_arg(a, 2, "n");
  a.require_size(src, "src", n, shape_of({n}));
  a.require_size(dst, "dst", n, shape_of({n}));
  return [=] { gw::copy_f32(src.data, dst.data, n); };
}

// halt_if_nonzero(flags: Float32Array, message: string): stops the program (the
// rest of its steps do not run, and it rejects) when any flag is non-zero. The
// error has code ERR_GRADWELL_HALT and index <i> (the first non-zero flag), and
// the message gets ": flag <i>" appended for people.
Task halt_if_nonzero(Args& a) {
  F32 flags = a.f32(0, "flags");
  const std::string message = a.string(1, "message");
  return [=] {
    for (std::size_t i = 0; i < flags.size; ++i) {
      if (flags.data[i] != 0.0f) {
        throw CodedError(message + ": flag " + std::to_string(i), kHaltCode, static_cast<std::int64_t>(i));
      }
    }
  };
}

// The slots of stage_in/stage_out: `stage` holds one `live`-sized slot per run of a
// chunk (CompiledProgram.runChunk), and cursor[0] is the run in progress.
template <class Buf>
Task stage_copy(Args& a, bool into_live, std::size_t stage_at, std::size_t live_at, const char* type_name) {
  using Elem = std::remove_pointer_t<decltype(Buf::data)>;
  Buf stage{}, live{};
  if constexpr (std::is_same_v<Elem, float>) {
    stage = a.f32(stage_at, "stage");
    live = a.f32(live_at, "live");
  } else if constexpr (std::is_same_v<Elem, std::int32_t>) {
    stage = a.i32(stage_at, "stage");
    live = a.i32(live_at, "live");
  } else {
    stage = a.f64(stage_at, "stage");
    live = a.f64(live_at, "live");
  }
  I32 cursor = a.i32(2, "cursor");
  if (cursor.size < 1) a.range_error("argument 'cursor' must hold at least 1 element, received an empty Int32Array");
  if (live.size == 0) a.range_error("argument 'live' must not be empty");
  if (stage.size < live.size || stage.size % live.size != 0) {
    a.range_error(std::string("argument 'stage' must hold a whole number of slots of live's ") + std::to_string(live.size) +
                  " elements, received " + type_name + "(" + std::to_string(stage.size) + ")");
  }
  const std::size_t slots = stage.size / live.size;
  const auto* s0 = reinterpret_cast<const unsigned char*>(stage.data);
  const auto* l0 = reinterpret_cast<const unsigned char*>(live.data);
  if (s0 < l0 + live.size * sizeof(Elem) && l0 < s0 + stage.size * sizeof(Elem)) {
    a.range_error("argument 'live' overlaps 'stage'; they must be separate buffers");
  }
  const std::string op = a.op();
  return [=] {
    const std::int64_t k = cursor.data[0];
    if (k < 0 || static_cast<std::size_t>(k) >= slots) {
      throw std::range_error(op + ": cursor " + std::to_string(k) + " is outside the stage's " + std::to_string(slots) + " slots");
    }
    Elem* slot = stage.data + static_cast<std::size_t>(k) * live.size;
    if (into_live) std::memcpy(live.data, slot, live.size * sizeof(Elem));
    else std::memcpy(slot, live.data, live.size * sizeof(Elem));
  };
}

// stage_in(stage, live, cursor: Int32Array): copies slot cursor[0] of `stage` into
// `live` (both Float32Array, Int32Array or Float64Array, stage a whole number of
// live-sized slots); stage_out(live, stage, cursor) copies `live` into that slot.
// They carry per-step inputs (batch rows, step counters) into and per-step results
// (loss, outputs) out of a chunk of steps run by one native call.
Task stage_any(Args& a, bool into_live) {
  const std::size_t stage_at = into_live ? 0 : 1;
  const std::size_t live_at = into_live ? 1 : 0;
  if (a.is_typed(stage_at, napi_int32_array)) return stage_copy<I32>(a, into_live, stage_at, live_at, "Int32Array");
  if (a.is_typed(stage_at, napi_float64_array)) return stage_copy<F64>(a, into_live, stage_at, live_at, "Float64Array");
  return stage_copy<F32>(a, into_live, stage_at, live_at, "Float32Array");
}
Task stage_in(Args& a) { return stage_any(a, true); }
Task stage_out(Args& a) { return stage_any(a, false); }

// clock_lap(laps: Float64Array, slot): adds the nanoseconds since the previous
// clock_lap on this thread to laps[slot] (for profiling a program in place: a
// lap after every step times each step as it runs in sequence).
Task clock_lap(Args& a) {
  F64 laps = a.f64(0, "laps");
  const std::size_t slot = a.dim(1, "slot");
  if (slot >= laps.size) {
    a.range_error("argument 'slot' = " + std::to_string(slot) + " is outside laps' " + std::to_string(laps.size) + " elements");
  }
  return [=] {
    static thread_local std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
    const auto now = std::chrono::steady_clock::now();
    laps.data[slot] += std::chrono::duration<double, std::nano>(now - last).count();
    last = now;
  };
}

// thread_tag(tags: Float64Array, slot): tags[slot] = the number of the thread
// the step runs on (1, 2, ... in the order threads first run one), so a test
// can tell where the steps of a program (a fork's branches) ran.
Task thread_tag(Args& a) {
  F64 tags = a.f64(0, "tags");
  const std::size_t slot = a.dim(1, "slot");
  if (slot >= tags.size) {
    a.range_error("argument 'slot' = " + std::to_string(slot) + " is outside tags' " + std::to_string(tags.size) + " elements");
  }
  return [=] {
    static std::atomic<int> next{1};
    static thread_local const int id = next.fetch_add(1);
    tags.data[slot] = id;
  };
}

// halt_if_nonfinite(values: Float32Array, message: string): like halt_if_nonzero,
// for the first value that is NaN or infinite (the error's index), with code
// ERR_GRADWELL_NONFINITE.
Task halt_if_nonfinite(Args& a) {
  F32 values = a.f32(0, "values");
  const std::string message = a.string(1, "message");
  return [=] {
    for (std::size_t i = 0; i < values.size; ++i) {
      if (!std::isfinite(values.data[i])) {
        throw CodedError(message + ": value " + std::to_string(i), kNonFiniteCode, static_cast<std::int64_t>(i));
      }
    }
  };
}

}  // namespace

void register_data_ops() {
  register_op("stage_in", stage_in);
  register_op("stage_out", stage_out);
  register_op("halt_if_nonfinite", halt_if_nonfinite);
  register_op("clock_lap", clock_lap);
  register_op("thread_tag", thread_tag);
  register_op("gather_rows", gather_rows);
  register_op("gather_i32", gather_i32);
  register_op("fill", fill);
  register_op("copy", copy);
  register_op("halt_if_nonzero", halt_if_nonzero);
}

}  // namespace gwb
