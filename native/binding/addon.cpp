// Module entry: backend info, thread and ISA control, the registered ops as
// synchronous functions, and programs of ops that run off the main thread.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "binding/args.h"
#include "binding/compute_thread.h"
#include "core/isa.h"
#include "core/pool.h"
#include "core/threads.h"
#include "kernels/optim.h"

#ifndef GRADWELL_VERSION
#define GRADWELL_VERSION "0.1.0"
#endif

namespace gwb {
void register_dist_exports(Napi::Env env, Napi::Object exports);  // dist_ops.cpp: attachCollectives
namespace {

std::once_flag g_register_once;

void register_all() {
#define GW_CALL_REGISTER(family, fn) fn();
  GW_OP_FAMILIES(GW_CALL_REGISTER)
#undef GW_CALL_REGISTER
}

Napi::Array string_array(Napi::Env env, std::initializer_list<const char*> names) {
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (const char* n : names) {
    if (*n) out.Set(i++, n);
  }
  return out;
}

// kinds(): the lists of kernels/kinds.inc, for lib/kinds.ts's test and the tools.
Napi::Value Kinds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
#define GW_FAMILY_NAME(family, fn) #family,
  o.Set("families", string_array(env, {GW_OP_FAMILIES(GW_FAMILY_NAME)}));
#undef GW_FAMILY_NAME
  o.Set("activations", string_array(env, {GW_ACTIVATION_KINDS(GW_KIND_NAME)}));
  o.Set("losses", string_array(env, {GW_LOSS_KINDS(GW_KIND_NAME)}));
#define GW_SLOT_NAME(slot) #slot,
  o.Set("optimHyperSlots", string_array(env, {GW_OPTIM_HYPER_SLOTS(GW_SLOT_NAME)}));
#undef GW_SLOT_NAME
  Napi::Array optimizers = Napi::Array::New(env);
  for (int k = 0; k < gw::kOptimKindCount; ++k) {
    const gw::OptimKindInfo& info = gw::optim_kind_info(static_cast<gw::OptimKind>(k));
    Napi::Object row = Napi::Object::New(env);
    row.Set("name", info.name);
    Napi::Array hyper = Napi::Array::New(env);
    Napi::Array states = Napi::Array::New(env);
    for (uint32_t s = 0; s < 3; ++s) {
      hyper.Set(s, info.hyper[s]);
      states.Set(s, gw::state_rule_name(info.states[s]));
    }
    row.Set("hyper", hyper);
    row.Set("states", states);
    optimizers.Set(static_cast<uint32_t>(k), row);
  }
  o.Set("optimizers", optimizers);
  return o;
}

Prepare find_op(const std::string& name) {
  for (const auto& [n, p] : registered_ops()) {
    if (n == name) return p;
  }
  return nullptr;
}

// A validated list of tasks plus references to every JavaScript value they use.
struct Batch {
  std::vector<Task> tasks;
  std::vector<KeptBuffer> keep_alive;
  std::int32_t* cursor = nullptr;  // runChunk's run counter (a kept Int32Array), or null
};

void run_tasks(const std::vector<Task>& tasks);

// Validates steps = [[opName, ...args] | ['fork', [steps...], [steps...], ...], ...] into `out`
// (buffers kept in `batch`); `where` names the array in errors ("program", "program[3][1]").
void build_steps(Napi::Env env, const Napi::Value& program, const std::string& where, Batch* batch, std::vector<Task>* out) {
  if (!program.IsArray()) {
    throw Napi::TypeError::New(env, where + " must be an Array of [opName, ...args] steps, received " + describe(program));
  }
  Napi::Array steps = program.As<Napi::Array>();
  out->reserve(out->size() + steps.Length());
  for (uint32_t s = 0; s < steps.Length(); ++s) {
    const std::string at = where + "[" + std::to_string(s) + "]";
    Napi::Value step = steps.Get(s);
    if (!step.IsArray() || step.As<Napi::Array>().Length() < 1 || !step.As<Napi::Array>().Get(0u).IsString()) {
      throw Napi::TypeError::New(env, at + " must be [opName, ...args], received " + describe(step));
    }
    Napi::Array arr = step.As<Napi::Array>();
    const std::string name = arr.Get(0u).As<Napi::String>().Utf8Value();
    if (name == "fork") {
      // Independent branches (they write disjoint buffers): on 2 threads each branch runs
      // on its own thread with single-threaded kernels, else one after the other with all
      // threads. Kernels give the same bits for any thread count, so both orders agree.
      if (arr.Length() < 2) throw Napi::TypeError::New(env, at + ": fork needs at least one branch, received none");
      auto branches = std::make_shared<std::vector<std::vector<Task>>>(arr.Length() - 1);
      for (uint32_t k = 1; k < arr.Length(); ++k) {
        build_steps(env, arr.Get(k), at + "[" + std::to_string(k) + "]", batch, &(*branches)[k - 1]);
      }
      out->push_back([branches] {
        const std::size_t n = branches->size();
        if (n > 1 && gw::num_threads() == static_cast<int>(n)) {
          gw::parallel_team(n, [&](std::size_t i) { run_tasks((*branches)[i]); });
        } else {
          for (const auto& b : *branches) run_tasks(b);
        }
      });
      continue;
    }
    Prepare prepare = find_op(name);
    if (!prepare) throw Napi::TypeError::New(env, at + ": unknown op '" + name + "'");
    std::vector<Napi::Value> values;
    values.reserve(arr.Length() - 1);
    for (uint32_t k = 1; k < arr.Length(); ++k) values.push_back(arr.Get(k));
    Args args(env, name, std::move(values), &batch->keep_alive);
    out->push_back(prepare(args));
  }
}

// Validates program = [[opName, ...args], ...] into `batch`; throws a JS error
// naming the step on the first bad op, before anything runs.
void build_batch(Napi::Env env, const Napi::Value& program, Batch* batch) {
  build_steps(env, program, "program", batch, &batch->tasks);
}

void run_tasks(const std::vector<Task>& tasks) {
  for (const auto& t : tasks) t();
}

// The batch `count` times, cursor[0] = the run's number (left at the failed run on an error).
void run_chunk(const Batch& batch, std::int64_t count) {
  for (std::int64_t k = 0; k < count; ++k) {
    if (batch.cursor) batch.cursor[0] = static_cast<std::int32_t>(k);
    run_tasks(batch.tasks);
  }
}

// One queued run of a batch on the libuv pool. Written against the C API so the
// completion never throws: when a worker thread is terminated mid-run its
// environment is shutting down, every N-API call may fail, and an exception
// escaping the completion callback would std::terminate the whole process.
struct AsyncRun {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  std::shared_ptr<Batch> batch;  // holds the buffer references until the work ends
  std::shared_ptr<std::atomic<bool>> busy;
  std::int64_t count = 1;  // runs of the batch (runChunk)
  bool failed = false;
  std::string error;
  std::string code;        // a CodedError's code ("" otherwise)
  std::int64_t index = -1;  // and its index
};

void execute_run(napi_env, void* data) {
  auto* run = static_cast<AsyncRun*>(data);
  try {
    const Batch* batch = run->batch.get();
    const std::int64_t count = run->count;
    run_on_compute_thread([batch, count] { run_chunk(*batch, count); });
  } catch (const CodedError& e) {
    run->failed = true;
    run->error = e.what();
    run->code = e.code;
    run->index = e.index;
  } catch (const std::exception& e) {
    run->failed = true;
    run->error = e.what();
  } catch (...) {
    run->failed = true;
    run->error = "gradwell: unknown native error";
  }
}

void complete_run(napi_env env, napi_status status, void* data) {
  std::unique_ptr<AsyncRun> run(static_cast<AsyncRun*>(data));
  if (run->busy) run->busy->store(false);
  // Statuses are ignored on purpose: in a terminating environment these fail and there is nobody left to tell.
  if (status == napi_ok && !run->failed) {
    napi_value undefined;
    if (napi_get_undefined(env, &undefined) == napi_ok) napi_resolve_deferred(env, run->deferred, undefined);
  } else {
    const std::string message = status == napi_cancelled ? std::string("gradwell: the run was cancelled") : run->error;
    napi_value text, error, code = nullptr, index;
    if (!run->code.empty() && napi_create_string_utf8(env, run->code.data(), run->code.size(), &code) != napi_ok) {
      code = nullptr;
    }
    if (napi_create_string_utf8(env, message.data(), message.size(), &text) == napi_ok &&
        napi_create_error(env, code, text, &error) == napi_ok) {
      if (code && napi_create_int64(env, run->index, &index) == napi_ok) napi_set_named_property(env, error, "index", index);
      napi_reject_deferred(env, run->deferred, error);
    }
  }
  napi_delete_async_work(env, run->work);
}

// Queues `batch` and returns its promise; `busy` (may be null) is cleared when the run ends.
Napi::Value queue_run(Napi::Env env, std::shared_ptr<Batch> batch, std::shared_ptr<std::atomic<bool>> busy,
                      std::int64_t count = 1) {
  auto run = std::make_unique<AsyncRun>();
  run->batch = std::move(batch);
  run->busy = std::move(busy);
  run->count = count;
  napi_value promise, name;
  if (napi_create_promise(env, &run->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "gradwell.run", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, nullptr, name, execute_run, complete_run, run.get(), &run->work) != napi_ok) {
    if (run->busy) run->busy->store(false);
    throw Napi::Error::New(env, "gradwell: could not queue the run");
  }
  if (napi_queue_async_work(env, run->work) != napi_ok) {
    napi_delete_async_work(env, run->work);
    if (run->busy) run->busy->store(false);
    throw Napi::Error::New(env, "gradwell: could not queue the run");
  }
  run.release();  // complete_run owns it now
  return Napi::Value(env, promise);
}

// A program validated once and run many times (one training step per run).
class CompiledProgram : public Napi::ObjectWrap<CompiledProgram> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "CompiledProgram",
                       {InstanceMethod<&CompiledProgram::Run>("run"), InstanceMethod<&CompiledProgram::RunSync>("runSync"),
                        InstanceMethod<&CompiledProgram::RunChunk>("runChunk"),
                        InstanceAccessor<&CompiledProgram::Busy>("busy"),
                        InstanceAccessor<&CompiledProgram::Length>("length")});
  }

  CompiledProgram(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CompiledProgram>(info) {
    batch_ = std::make_shared<Batch>();
    busy_ = std::make_shared<std::atomic<bool>>(false);
    build_batch(info.Env(), info[0], batch_.get());
    if (info.Length() > 1 && !info[1].IsUndefined()) {
      Args args(info.Env(), "CompiledProgram", {info[1]}, &batch_->keep_alive);
      I32 cursor = args.i32(0, "cursor");
      if (cursor.size < 1) args.range_error("argument 'cursor' must hold at least 1 element, received an empty Int32Array");
      batch_->cursor = cursor.data;
    }
  }

 private:
  Napi::Value Run(const Napi::CallbackInfo& info) {
    claim(info.Env());
    return queue_run(info.Env(), batch_, busy_);
  }
  Napi::Value RunChunk(const Napi::CallbackInfo& info) {
    Args args(info.Env(), "CompiledProgram.runChunk", {info[0]}, nullptr);
    const std::int64_t count = args.integer(0, "count", 1, 0x7fffffff);
    if (!batch_->cursor) {
      throw Napi::Error::New(info.Env(), "CompiledProgram.runChunk: the program was compiled without a cursor; pass one as the second argument");
    }
    claim(info.Env());
    return queue_run(info.Env(), batch_, busy_, count);
  }
  Napi::Value RunSync(const Napi::CallbackInfo& info) {
    claim(info.Env());
    run_for_js(info.Env(), [this] { run_tasks(batch_->tasks); }, [this] { busy_->store(false); });
    busy_->store(false);
    return info.Env().Undefined();
  }
  void claim(Napi::Env env) {
    bool expected = false;
    if (!busy_->compare_exchange_strong(expected, true)) {
      throw Napi::Error::New(env, "CompiledProgram.run: the program is already running; await the previous run first");
    }
    // The tasks hold raw pointers: refuse to run on buffers that were detached or shrunk since compiling.
    const std::string moved = check_kept(env, batch_->keep_alive);
    if (!moved.empty()) {
      busy_->store(false);
      throw Napi::Error::New(env, "CompiledProgram.run: " + moved);
    }
  }
  Napi::Value Busy(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), busy_->load()); }
  Napi::Value Length(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(batch_->tasks.size()));
  }

  std::shared_ptr<Batch> batch_;
  std::shared_ptr<std::atomic<bool>> busy_;
};

Napi::Value RunAsync(const Napi::CallbackInfo& info) {
  auto batch = std::make_shared<Batch>();
  build_batch(info.Env(), info[0], batch.get());
  return queue_run(info.Env(), batch, nullptr);
}

Napi::Value Backend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", gw::isa_name(gw::active_isa()));
  o.Set("detectedIsa", gw::isa_name(gw::detected_isa()));
  Napi::Array supported = Napi::Array::New(env);
  for (int i = 0; i <= static_cast<int>(gw::detected_isa()); ++i) {
    supported.Set(static_cast<uint32_t>(i), gw::isa_name(static_cast<gw::Isa>(i)));
  }
  o.Set("supportedIsas", supported);
  o.Set("threads", gw::num_threads());
  o.Set("defaultThreads", gw::default_num_threads());
  o.Set("openmp", gw::have_openmp());
  o.Set("computeThread", compute_thread_enabled());
  o.Set("threading", gw::pool_enabled() ? "pool" : (gw::have_openmp() ? "openmp" : "serial"));
#if defined(GW_ARCH_X86)
  o.Set("arch", "x64");
#elif defined(GW_ARCH_ARM64)
  o.Set("arch", "arm64");
#else
  o.Set("arch", "other");
#endif
  o.Set("version", GRADWELL_VERSION);
  return o;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Args args(info.Env(), "setNumThreads", {info[0]}, nullptr);
  gw::set_num_threads(static_cast<int>(args.integer(0, "n", 1, 1024)));
  return Napi::Number::New(info.Env(), gw::num_threads());
}

Napi::Value SetMaxIsa(const Napi::CallbackInfo& info) {
  Args args(info.Env(), "setMaxIsa", {info[0]}, nullptr);
  const std::string name = args.string(0, "isa");
  gw::Isa cap;
  if (!gw::parse_isa(name, &cap)) {
    args.range_error("unknown ISA '" + name + "' for this architecture; expected one of scalar, baseline, " +
#if defined(GW_ARCH_ARM64)
                     std::string("neon")
#else
                     std::string("sse2, avx2, avx512")
#endif
    );
  }
  return Napi::String::New(info.Env(), gw::isa_name(gw::set_max_isa(cap)));
}

// For test/pool.test.ts: runs parallel_team(team) where item 0 waits (up to 5 s) until
// another item has started on a different thread, and item throwAt (-1: none)
// throws; returns how many distinct threads ran items. With a working pool that
// is 2 or more, whoever claims item 0.
Napi::Value PoolProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto int_arg = [&](std::size_t k, const char* name, std::int64_t lo, std::int64_t hi) {
    if (!info[k].IsNumber()) throw Napi::TypeError::New(env, std::string("poolProbe: ") + name + " must be a number");
    const double v = info[k].As<Napi::Number>().DoubleValue();
    if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi)) || v != static_cast<double>(static_cast<std::int64_t>(v))) {
      throw Napi::RangeError::New(env, std::string("poolProbe: ") + name + " must be an integer from " + std::to_string(lo) +
                                           " to " + std::to_string(hi) + ", received " + std::to_string(v));
    }
    return static_cast<std::int64_t>(v);
  };
  const std::int64_t team = int_arg(0, "team", 2, std::max(2, gw::num_threads()));
  const std::int64_t throw_at = int_arg(1, "throwAt", -1, team - 1);
  std::mutex m;
  std::set<std::thread::id> ids;
  const auto distinct = [&] {
    std::lock_guard<std::mutex> lock(m);
    return ids.size();
  };
  try {
    gw::parallel_team(static_cast<std::size_t>(team), [&](std::size_t t) {
      {
        std::lock_guard<std::mutex> lock(m);
        ids.insert(std::this_thread::get_id());
      }
      if (t == 0) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (distinct() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
      }
      if (static_cast<std::int64_t>(t) == throw_at) throw std::runtime_error("poolProbe: item " + std::to_string(t) + " threw");
    });
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  return Napi::Number::New(env, static_cast<double>(distinct()));
}

#if defined(GW_SANITIZE_CANARY)
// Sanitizer builds only (scripts/test-asan.mjs): writes element i of a 16-float
// heap array, so asanCanary(16) is a heap-buffer-overflow ASan must report.
Napi::Value AsanCanary(const Napi::CallbackInfo& info) {
  const auto i = static_cast<std::size_t>(info[0].As<Napi::Number>().Int64Value());
  std::vector<float> v(16);
  float* volatile p = v.data();
  p[i] = 1.0f;
  return Napi::Number::New(info.Env(), p[0]);
}
#endif

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  std::call_once(g_register_once, register_all);
  start_compute_thread();
  exports.Set("backend", Napi::Function::New(env, Backend, "backend"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("setMaxIsa", Napi::Function::New(env, SetMaxIsa, "setMaxIsa"));
  exports.Set("runAsync", Napi::Function::New(env, RunAsync, "runAsync"));
  exports.Set("kinds", Napi::Function::New(env, Kinds, "kinds"));
  exports.Set("CompiledProgram", CompiledProgram::Init(env));
  exports.Set("poolProbe", Napi::Function::New(env, PoolProbe, "poolProbe"));
  register_dist_exports(env, exports);
#if defined(GW_SANITIZE_CANARY)
  exports.Set("asanCanary", Napi::Function::New(env, AsanCanary, "asanCanary"));
#endif

  Napi::Object ops = Napi::Object::New(env);
  for (const auto& entry : registered_ops()) {
    const std::string* name = &entry.first;
    Prepare prepare = entry.second;
    ops.Set(entry.first, Napi::Function::New(
                             env,
                             [name, prepare](const Napi::CallbackInfo& info) -> Napi::Value {
                               std::vector<Napi::Value> values;
                               values.reserve(info.Length());
                               for (size_t i = 0; i < info.Length(); ++i) values.push_back(info[i]);
                               Args args(info.Env(), *name, std::move(values), nullptr);
                               Task task = prepare(args);
                               run_for_js(info.Env(), task);
                               return info.Env().Undefined();
                             },
                             entry.first));
  }
  exports.Set("ops", ops);
  return exports;
}

}  // namespace
}  // namespace gwb

static Napi::Object InitGradwell(Napi::Env env, Napi::Object exports) { return gwb::Init(env, exports); }
NODE_API_MODULE(gradwell, InitGradwell)
