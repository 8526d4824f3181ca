// The binding boundary. Every op is registered as a Prepare function that
// reads and validates its JavaScript arguments into plain C++ values and
// returns a Task that touches no JavaScript. A sync call runs the task at
// once; runAsync validates a whole program of ops first, then runs the tasks
// in order on a libuv worker while holding references to every buffer used.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/kinds.inc"

namespace gwb {

using Task = std::function<void()>;

// An error a task throws with a machine-readable code and an index (the flag
// that halted a program, say). JavaScript receives an Error whose `code` and
// `index` properties carry them, so nothing parses the message text.
struct CodedError : std::runtime_error {
  CodedError(const std::string& message, std::string error_code, std::int64_t error_index)
      : std::runtime_error(message), code(std::move(error_code)), index(error_index) {}
  std::string code;
  std::int64_t index;
};
// The code of halt_if_nonzero's error; `index` is the first non-zero flag.
constexpr const char* kHaltCode = "ERR_GRADWELL_HALT";
// The code of halt_if_nonfinite's error; `index` is the first NaN/Inf value.
constexpr const char* kNonFiniteCode = "ERR_GRADWELL_NONFINITE";

// Runs `task`; what it throws becomes a JavaScript Error (a CodedError's code and
// index become properties). `cleanup` runs first when it throws.
void run_for_js(Napi::Env env, const Task& task, const std::function<void()>& cleanup = {});

struct F32 {
  float* data;
  std::size_t size;
};
struct I32 {
  std::int32_t* data;
  std::size_t size;
};
struct F64 {
  double* data;
  std::size_t size;
};
struct U8 {
  std::uint8_t* data;
  std::size_t size;
};

// A buffer a program holds on to: its JavaScript value (kept alive) and where
// its memory was when the program was validated. A compiled program re-checks
// these before every run: JavaScript may detach (transfer) or shrink a buffer
// between runs, and the tasks hold plain pointers.
struct KeptBuffer {
  Napi::Reference<Napi::Value> ref;
  void* data;
  std::size_t bytes;
  std::string what;  // "argument 'x' of gemm"
};

// Empty when every kept buffer is still where and as large as it was; else a
// message naming the first one that moved, shrank or was detached.
std::string check_kept(Napi::Env env, const std::vector<KeptBuffer>& kept);

// Reads the arguments of one op. Every accessor throws a JavaScript
// TypeError/RangeError that names the op and the argument.
class Args {
 public:
  Args(Napi::Env env, std::string op, std::vector<Napi::Value> values,
       std::vector<KeptBuffer>* keep_alive);

  Napi::Env env() const { return env_; }
  const std::string& op() const { return op_; }
  std::size_t count() const { return values_.size(); }
  bool is_undefined(std::size_t i) const;
  bool is_u8(std::size_t i) const;  // a Uint8Array (to choose between overloads)
  bool is_typed(std::size_t i, napi_typedarray_type type) const;  // a typed array of `type`

  F32 f32(std::size_t i, const char* name);                 // Float32Array
  I32 i32(std::size_t i, const char* name);                 // Int32Array
  U8 u8(std::size_t i, const char* name);                   // Uint8Array
  F64 f64(std::size_t i, const char* name);                 // Float64Array (hyper-parameters JS may update between runs)
  // Optional buffer: undefined or null gives {nullptr, 0}.
  F32 f32_or_null(std::size_t i, const char* name);
  double number(std::size_t i, const char* name);           // finite number
  double number_or(std::size_t i, const char* name, double fallback);  // undefined -> fallback
  std::int64_t integer(std::size_t i, const char* name, std::int64_t min, std::int64_t max);
  bool boolean(std::size_t i, const char* name);
  std::string string(std::size_t i, const char* name);
  std::vector<F32> f32_list(std::size_t i, const char* name);  // Array of Float32Array
  // Array of Float32Array, null or undefined (entries {nullptr, 0}).
  std::vector<F32> f32_list_or_null(std::size_t i, const char* name);
  // A size: an integer in [min, max] (default [0, 2^40]).
  std::size_t dim(std::size_t i, const char* name, std::int64_t min = 0, std::int64_t max = std::int64_t{1} << 40);
  // A Float32Array holding at least n elements for `shape`; the optional form also takes undefined/null.
  F32 sized(std::size_t i, const char* name, std::size_t n, const std::string& shape);
  F32 sized_or_null(std::size_t i, const char* name, std::size_t n, const std::string& shape);

  // Errors naming this op: "<op>: <message>".
  [[noreturn]] void type_error(const std::string& message) const;
  [[noreturn]] void range_error(const std::string& message) const;
  // Checks that `name` holds at least `needed` elements for the described shape.
  void require_size(const F32& t, const char* name, std::size_t needed, const std::string& shape) const;
  void require_exact(const F32& t, const char* name, std::size_t needed, const std::string& shape) const;

 private:
  Napi::Value at(std::size_t i, const char* name) const;
  // A typed array of `type` (named `type_name` in errors) at position i, kept alive.
  template <class Buf>
  Buf typed(std::size_t i, const char* name, napi_typedarray_type type, const char* type_name);
  void keep(const Napi::Value& v, const char* name, const void* data, std::size_t bytes);
  std::vector<F32> f32_list_impl(std::size_t i, const char* name, bool allow_null);

  Napi::Env env_;
  std::string op_;
  std::vector<Napi::Value> values_;
  std::vector<KeptBuffer>* keep_alive_;
};

std::string describe(const Napi::Value& v);  // "Float64Array(12)", "number 3", "undefined"
std::string shape_str(std::initializer_list<std::int64_t> dims);  // "[3, 4]"
std::string shape_of(std::initializer_list<std::size_t> dims);    // the same from sizes
// Whether [p, p+n) and [q, q+m) share memory (false when either is empty or null).
bool overlaps(const float* p, std::size_t n, const float* q, std::size_t m);
// The same for byte ranges of buffers of any element type.
bool overlaps_bytes(const void* p, std::size_t p_bytes, const void* q, std::size_t q_bytes);
// Index values are checked when an op is prepared (RangeError) and again when
// its task runs: a compiled program's index buffer is refilled between runs.
// Returns "" when every index[0..n) lies in [0, limit); `what` is "a source"
// (limit counts rows) or a buffer's name (limit counts elements).
std::string bad_index(const std::int32_t* index, std::size_t n, std::size_t limit, const char* what);
std::string num_str(double v);  // shortest faithful text ("1e-09", "1.5"), unlike std::to_string's six decimals

using Prepare = Task (*)(Args&);

// Registers an op under `name`; addon.cpp exports each as ops.<name>(...) and
// makes it available to runAsync([[name, ...args], ...]).
void register_op(const char* name, Prepare prepare);
const std::vector<std::pair<std::string, Prepare>>& registered_ops();

// One registration function per op family (kernels/kinds.inc), called once from addon.cpp.
#define GW_DECLARE_REGISTER(family, fn) void fn();
GW_OP_FAMILIES(GW_DECLARE_REGISTER)
#undef GW_DECLARE_REGISTER

}  // namespace gwb
