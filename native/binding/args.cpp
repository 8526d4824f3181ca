#include "binding/args.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <type_traits>

namespace gwb {

namespace {

// Reads a typed array with napi_get_typedarray_info, which also handles views
// of a SharedArrayBuffer or of a resizable ArrayBuffer; a detached buffer is a TypeError.
// A typed array's type, elements and data, and whether it can be read and its buffer is attached.
struct ArrayView {
  enum State { kOk, kUnreadable, kDetached } state;
  napi_typedarray_type type;
  std::size_t length;
  void* data;
};
ArrayView view_of(napi_env env, napi_value v) {
  ArrayView t{ArrayView::kOk, napi_float32_array, 0, nullptr};
  napi_value buffer;
  std::size_t offset = 0;
  if (napi_get_typedarray_info(env, v, &t.type, &t.length, &t.data, &buffer, &offset) != napi_ok) {
    t.state = ArrayView::kUnreadable;
    return t;
  }
  bool is_array_buffer = false;
  bool detached = false;
  napi_is_arraybuffer(env, buffer, &is_array_buffer);
  if (is_array_buffer && napi_is_detached_arraybuffer(env, buffer, &detached) == napi_ok && detached) {
    t.state = ArrayView::kDetached;
  }
  return t;
}

template <class ElemT>
ElemT* typed_data(const Args& args, const Napi::Value& v, const char* name, napi_typedarray_type want,
                  const char* want_name, std::size_t* size) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != want) {
    args.type_error(std::string("argument '") + name + "' must be a " + want_name + ", received " + describe(v));
  }
  const ArrayView t = view_of(args.env(), v);
  if (t.state == ArrayView::kUnreadable) {
    args.type_error(std::string("argument '") + name + "' is a " + want_name + " that cannot be read");
  }
  if (t.state == ArrayView::kDetached) {
    args.type_error(std::string("argument '") + name + "' is a " + want_name + " whose buffer is detached");
  }
  *size = t.length;
  if (t.length == 0) return nullptr;
  return static_cast<ElemT*>(t.data);
}

}  // namespace

std::string describe(const Napi::Value& v) {
  std::ostringstream out;
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsTypedArray()) {
    static const char* names[] = {"Int8Array",    "Uint8Array",   "Uint8ClampedArray", "Int16Array",
                                  "Uint16Array",  "Int32Array",   "Uint32Array",       "Float32Array",
                                  "Float64Array", "BigInt64Array", "BigUint64Array"};
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    const int t = static_cast<int>(ta.TypedArrayType());
    out << (t >= 0 && t < 11 ? names[t] : "TypedArray") << "(" << ta.ElementLength() << ")";
    return out.str();
  }
  if (v.IsArray()) {
    out << "Array(" << v.As<Napi::Array>().Length() << ")";
    return out.str();
  }
  if (v.IsNumber()) {
    out << "number " << v.As<Napi::Number>().DoubleValue();
    return out.str();
  }
  if (v.IsString()) return "string '" + v.As<Napi::String>().Utf8Value() + "'";
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  if (v.IsArrayBuffer()) return "ArrayBuffer";
  if (v.IsFunction()) return "function";
  if (v.IsObject()) return "object";
  return "value";
}

std::string shape_str(std::initializer_list<std::int64_t> dims) {
  std::ostringstream out;
  out << "[";
  bool first = true;
  for (auto d : dims) {
    if (!first) out << ", ";
    out << d;
    first = false;
  }
  out << "]";
  return out.str();
}

Args::Args(Napi::Env env, std::string op, std::vector<Napi::Value> values,
           std::vector<KeptBuffer>* keep_alive)
    : env_(env), op_(std::move(op)), values_(std::move(values)), keep_alive_(keep_alive) {}

bool Args::is_undefined(std::size_t i) const { return i >= values_.size() || values_[i].IsUndefined(); }

bool Args::is_typed(std::size_t i, napi_typedarray_type type) const {
  return i < values_.size() && values_[i].IsTypedArray() && values_[i].As<Napi::TypedArray>().TypedArrayType() == type;
}
bool Args::is_u8(std::size_t i) const {
  return i < values_.size() && values_[i].IsTypedArray() &&
         values_[i].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array;
}

Napi::Value Args::at(std::size_t i, const char* name) const {
  if (i >= values_.size()) {
    type_error(std::string("missing argument '") + name + "' (position " + std::to_string(i) + ")");
  }
  return values_[i];
}

void Args::keep(const Napi::Value& v, const char* name, const void* data, std::size_t bytes) {
  if (keep_alive_) {
    keep_alive_->push_back(KeptBuffer{Napi::Persistent(v), const_cast<void*>(data), bytes,
                                      std::string("argument '") + name + "' of " + op_});
  }
}

std::string check_kept(Napi::Env env, const std::vector<KeptBuffer>& kept) {
  for (const KeptBuffer& k : kept) {
    const ArrayView t = view_of(env, k.ref.Value());
    if (t.state == ArrayView::kUnreadable) return k.what + " can no longer be read";
    if (t.state == ArrayView::kDetached) {
      return k.what + " was detached (transferred) after the program was compiled; compile a new program";
    }
    const napi_typedarray_type type = t.type;
    const std::size_t length = t.length;
    const void* data = t.data;
    std::size_t elem = 4;
    if (type == napi_float64_array) elem = 8;
    if (type == napi_uint8_array) elem = 1;
    if (k.bytes > 0 && (data != k.data || length * elem < k.bytes)) {
      return k.what + " was resized after the program was compiled (" + std::to_string(k.bytes) + " bytes then, " +
             std::to_string(length * elem) + " now); compile a new program";
    }
  }
  return "";
}

void Args::type_error(const std::string& message) const {
  throw Napi::TypeError::New(env_, op_ + ": " + message);
}
void Args::range_error(const std::string& message) const {
  throw Napi::RangeError::New(env_, op_ + ": " + message);
}

void Args::require_size(const F32& t, const char* name, std::size_t needed, const std::string& shape) const {
  if (t.size < needed) {
    range_error(std::string("argument '") + name + "' has " + std::to_string(t.size) + " elements but shape " + shape +
                " needs " + std::to_string(needed));
  }
}
void Args::require_exact(const F32& t, const char* name, std::size_t needed, const std::string& shape) const {
  if (t.size != needed) {
    range_error(std::string("argument '") + name + "' has " + std::to_string(t.size) + " elements but shape " + shape +
                " needs exactly " + std::to_string(needed));
  }
}

template <class Buf>
Buf Args::typed(std::size_t i, const char* name, napi_typedarray_type type, const char* type_name) {
  using Elem = std::remove_pointer_t<decltype(Buf::data)>;
  Napi::Value v = at(i, name);
  Buf out{};
  out.data = typed_data<Elem>(*this, v, name, type, type_name, &out.size);
  keep(v, name, out.data, out.size * sizeof(Elem));
  return out;
}

F32 Args::f32(std::size_t i, const char* name) { return typed<F32>(i, name, napi_float32_array, "Float32Array"); }
I32 Args::i32(std::size_t i, const char* name) { return typed<I32>(i, name, napi_int32_array, "Int32Array"); }
U8 Args::u8(std::size_t i, const char* name) { return typed<U8>(i, name, napi_uint8_array, "Uint8Array"); }
F64 Args::f64(std::size_t i, const char* name) { return typed<F64>(i, name, napi_float64_array, "Float64Array"); }

F32 Args::f32_or_null(std::size_t i, const char* name) {
  if (i >= values_.size() || values_[i].IsUndefined() || values_[i].IsNull()) return F32{nullptr, 0};
  return f32(i, name);
}

double Args::number(std::size_t i, const char* name) {
  Napi::Value v = at(i, name);
  if (!v.IsNumber()) type_error(std::string("argument '") + name + "' must be a number, received " + describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) range_error(std::string("argument '") + name + "' must be finite, received " + describe(v));
  return d;
}

double Args::number_or(std::size_t i, const char* name, double fallback) {
  return is_undefined(i) ? fallback : number(i, name);
}

std::int64_t Args::integer(std::size_t i, const char* name, std::int64_t min, std::int64_t max) {
  const double d = number(i, name);
  if (d != std::floor(d)) range_error(std::string("argument '") + name + "' must be an integer, received " + describe(at(i, name)));
  if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
    range_error(std::string("argument '") + name + "' must be in [" + std::to_string(min) + ", " + std::to_string(max) +
                "], received " + describe(at(i, name)));
  }
  return static_cast<std::int64_t>(d);
}

bool Args::boolean(std::size_t i, const char* name) {
  Napi::Value v = at(i, name);
  if (!v.IsBoolean()) type_error(std::string("argument '") + name + "' must be a boolean, received " + describe(v));
  return v.As<Napi::Boolean>().Value();
}

std::string Args::string(std::size_t i, const char* name) {
  Napi::Value v = at(i, name);
  if (!v.IsString()) type_error(std::string("argument '") + name + "' must be a string, received " + describe(v));
  return v.As<Napi::String>().Utf8Value();
}

std::vector<F32> Args::f32_list(std::size_t i, const char* name) { return f32_list_impl(i, name, false); }

std::vector<F32> Args::f32_list_or_null(std::size_t i, const char* name) { return f32_list_impl(i, name, true); }

std::vector<F32> Args::f32_list_impl(std::size_t i, const char* name, bool allow_null) {
  Napi::Value v = at(i, name);
  if (!v.IsArray()) {
    type_error(std::string("argument '") + name + "' must be an Array of Float32Array" + (allow_null ? " or null" : "") +
               ", received " + describe(v));
  }
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<F32> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value e = arr.Get(k);
    F32 t{};
    if (!(allow_null && (e.IsNull() || e.IsUndefined()))) {
      const std::string elem_name = std::string(name) + "[" + std::to_string(k) + "]";
      t.data = typed_data<float>(*this, e, elem_name.c_str(), napi_float32_array, "Float32Array", &t.size);
      keep(e, elem_name.c_str(), t.data, t.size * sizeof(float));
    }
    out.push_back(t);
  }
  return out;
}

namespace {
std::vector<std::pair<std::string, Prepare>>& registry() {
  static std::vector<std::pair<std::string, Prepare>> ops;
  return ops;
}
}  // namespace

std::size_t Args::dim(std::size_t i, const char* name, std::int64_t min, std::int64_t max) {
  return static_cast<std::size_t>(integer(i, name, min, max));
}

F32 Args::sized(std::size_t i, const char* name, std::size_t n, const std::string& shape) {
  F32 t = f32(i, name);
  require_size(t, name, n, shape);
  return t;
}

F32 Args::sized_or_null(std::size_t i, const char* name, std::size_t n, const std::string& shape) {
  F32 t = f32_or_null(i, name);
  if (t.data) require_size(t, name, n, shape);
  return t;
}

std::string shape_of(std::initializer_list<std::size_t> dims) {
  std::string s = "[";
  bool first = true;
  for (std::size_t d : dims) {
    s += (first ? "" : ", ") + std::to_string(d);
    first = false;
  }
  return s + "]";
}

std::string num_str(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void run_for_js(Napi::Env env, const Task& task, const std::function<void()>& cleanup) {
  try {
    task();
  } catch (const CodedError& e) {
    if (cleanup) cleanup();
    Napi::Error err = Napi::Error::New(env, e.what());
    err.Set("code", Napi::String::New(env, e.code));
    err.Set("index", Napi::Number::New(env, static_cast<double>(e.index)));
    throw err;
  } catch (const std::exception& e) {
    if (cleanup) cleanup();
    throw Napi::Error::New(env, e.what());
  }
}

void register_op(const char* name, Prepare prepare) { registry().emplace_back(name, prepare); }
const std::vector<std::pair<std::string, Prepare>>& registered_ops() { return registry(); }

bool overlaps(const float* p, std::size_t n, const float* q, std::size_t m) {
  if (!p || !q || n == 0 || m == 0) return false;
  return p < q + m && q < p + n;
}

bool overlaps_bytes(const void* p, std::size_t p_bytes, const void* q, std::size_t q_bytes) {
  if (!p || !q || p_bytes == 0 || q_bytes == 0) return false;
  const auto a = reinterpret_cast<std::uintptr_t>(p), b = reinterpret_cast<std::uintptr_t>(q);
  return a < b + q_bytes && b < a + p_bytes;
}

std::string bad_index(const std::int32_t* index, std::size_t n, std::size_t limit, const char* what) {
  for (std::size_t i = 0; i < n; ++i) {
    if (index[i] < 0 || static_cast<std::size_t>(index[i]) >= limit) {
      return "index[" + std::to_string(i) + "] = " + std::to_string(index[i]) + " is out of range for " + what + " of " +
             std::to_string(limit) + (std::string(what) == "a source" ? " rows" : " elements");
    }
  }
  return "";
}

}  // namespace gwb
