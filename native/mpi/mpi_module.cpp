// gradwell's MPI module (see collectives.h): MPI_Init_thread, rank and size,
// the collectives table for the main addon, finalize and abort. All MPI calls
// are made by one communication thread, in the order the collectives were
// queued, so a training program can queue a layer's gradient allreduce and go
// on with backward while the bytes move (the overlap), and a watchdog timeout
// on every wait turns a dead or stalled peer into an error instead of a hang.
// MPI's error handler is set to MPI_ERRORS_RETURN, so a failed call is an
// error message here too, not an abort deep inside MPI.
#include <mpi.h>
#include <napi.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "collectives.h"

namespace {

using gwmpi::Collectives;

enum class Kind { kAllreduce, kBroadcast };

struct Job {
  std::uint64_t ticket;
  Kind kind;
  int dtype;
  void* buf;
  std::size_t count;
  int root;
};

struct World {
  std::mutex m;
  std::condition_variable cv_job;   // the communication thread waits for jobs
  std::condition_variable cv_done;  // waiters wait for tickets
  std::deque<Job> queue;
  std::uint64_t next_ticket = 1;
  std::uint64_t done_ticket = 0;
  bool broken = false;
  std::string error;
  bool stop = false;
  bool started = false;   // MPI_Init_thread returned (successfully or not)
  bool init_ok = false;
  bool finalized = false;
  std::string init_error;
  int rank = 0;
  int size = 1;
  int provided = 0;
  std::thread thread;
  Collectives table{};
  // Counters for the benchmark (stats()): collectives run, bytes reduced or sent,
  // seconds the communication thread spent inside MPI, seconds callers spent blocked in wait().
  std::uint64_t jobs = 0;
  double bytes = 0;
  double mpi_seconds = 0;
  double wait_seconds = 0;
};

World* g_world = nullptr;  // one per process: MPI is initialized once

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<std::size_t>(len));
}

MPI_Datatype mpi_type(int dtype) { return dtype == gwmpi::kF64 ? MPI_DOUBLE : MPI_FLOAT; }

const char* kind_name(Kind k) { return k == Kind::kAllreduce ? "allreduce" : "broadcast"; }

// Sends `count` elements in pieces of at most 2^30 (MPI counts are int).
int run_job(const Job& j) {
  constexpr std::size_t kPiece = std::size_t{1} << 30;
  const std::size_t elem = j.dtype == gwmpi::kF64 ? 8 : 4;
  for (std::size_t off = 0; off < j.count || (j.count == 0 && off == 0); off += kPiece) {
    const int n = static_cast<int>(j.count - off < kPiece ? j.count - off : kPiece);
    char* p = static_cast<char*>(j.buf) + off * elem;
    const int rc = j.kind == Kind::kAllreduce ? MPI_Allreduce(MPI_IN_PLACE, p, n, mpi_type(j.dtype), MPI_SUM, MPI_COMM_WORLD)
                                              : MPI_Bcast(p, n, mpi_type(j.dtype), j.root, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return rc;
    if (j.count == 0) break;
  }
  return MPI_SUCCESS;
}

void comm_thread(World* w) {
  int provided = 0;
  int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided);
  {
    std::lock_guard<std::mutex> lock(w->m);
    w->started = true;
    if (rc != MPI_SUCCESS) {
      w->init_error = "MPI_Init_thread failed: " + mpi_error_text(rc);
    } else {
      MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
      MPI_Comm_rank(MPI_COMM_WORLD, &w->rank);
      MPI_Comm_size(MPI_COMM_WORLD, &w->size);
      w->provided = provided;
      w->init_ok = true;
    }
  }
  w->cv_done.notify_all();
  if (rc != MPI_SUCCESS) return;
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(w->m);
      w->cv_job.wait(lock, [w] { return w->stop || !w->queue.empty(); });
      if (w->queue.empty()) break;  // stop, nothing left
      job = w->queue.front();
      w->queue.pop_front();
      if (w->broken) {  // fail fast: do not touch MPI after a failure
        w->done_ticket = job.ticket;
        w->cv_done.notify_all();
        continue;
      }
    }
    const auto t0 = std::chrono::steady_clock::now();
    const int jrc = run_job(job);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    {
      std::lock_guard<std::mutex> lock(w->m);
      w->jobs += 1;
      w->bytes += static_cast<double>(job.count) * (job.dtype == gwmpi::kF64 ? 8 : 4);
      w->mpi_seconds += took;
      if (jrc != MPI_SUCCESS && !w->broken) {
        w->broken = true;
        w->error = "gradwell: rank " + std::to_string(w->rank) + ": MPI " + kind_name(job.kind) + " #" +
                   std::to_string(job.ticket) + " of " + std::to_string(job.count) +
                   " values failed: " + mpi_error_text(jrc) + " (another rank has probably died)";
      }
      w->done_ticket = job.ticket;
    }
    w->cv_done.notify_all();
  }
  MPI_Finalize();
  std::lock_guard<std::mutex> lock(w->m);
  w->finalized = true;
}

std::uint64_t enqueue(World* w, Kind kind, int dtype, void* buf, std::size_t count, int root) {
  std::lock_guard<std::mutex> lock(w->m);
  if (w->stop || !w->init_ok) return 0;
  const std::uint64_t t = w->next_ticket++;
  w->queue.push_back(Job{t, kind, dtype, buf, count, root});
  w->cv_job.notify_one();
  return t;
}

std::uint64_t c_start_allreduce(void* ctx, int dtype, void* buf, std::size_t count) {
  return enqueue(static_cast<World*>(ctx), Kind::kAllreduce, dtype, buf, count, 0);
}

std::uint64_t c_start_broadcast(void* ctx, int dtype, void* buf, std::size_t count, int root) {
  return enqueue(static_cast<World*>(ctx), Kind::kBroadcast, dtype, buf, count, root);
}

void copy_text(const std::string& s, char* err, std::size_t errlen) {
  if (!err || errlen == 0) return;
  const std::size_t n = s.size() < errlen - 1 ? s.size() : errlen - 1;
  std::memcpy(err, s.data(), n);
  err[n] = '\0';
}

int c_wait(void* ctx, std::uint64_t ticket, double timeout_s, char* err, std::size_t errlen) {
  World* w = static_cast<World*>(ctx);
  std::unique_lock<std::mutex> lock(w->m);
  if (ticket == 0) {
    copy_text(w->broken ? w->error : std::string("gradwell: the MPI world is finalized; no collective can run"), err, errlen);
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(timeout_s);
  const bool done = w->cv_done.wait_until(lock, deadline, [w, ticket] { return w->done_ticket >= ticket || w->broken; });
  w->wait_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (w->broken) {
    copy_text(w->error, err, errlen);
    return 1;
  }
  if (!done) {
    w->broken = true;
    char secs[32];
    std::snprintf(secs, sizeof secs, "%g", timeout_s);
    w->error = "gradwell: rank " + std::to_string(w->rank) + " of " + std::to_string(w->size) + ": collective #" +
               std::to_string(ticket) + " did not complete within " + secs +
               " s (GRADWELL_MPI_TIMEOUT); another rank has probably died or stalled";
    copy_text(w->error, err, errlen);
    return 1;
  }
  return 0;
}

double timeout_from_env() {
  const char* s = std::getenv("GRADWELL_MPI_TIMEOUT");
  if (!s || !*s) return 300.0;
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  return (end && *end == '\0' && v > 0) ? v : -1.0;
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (g_world) {
    if (!g_world->init_ok) throw Napi::Error::New(env, g_world->init_error);
  } else {
    const double timeout = timeout_from_env();
    if (timeout < 0) {
      throw Napi::RangeError::New(env, std::string("GRADWELL_MPI_TIMEOUT must be a positive number of seconds, received '") +
                                           std::getenv("GRADWELL_MPI_TIMEOUT") + "'");
    }
    // The communication thread shares the cores with this process's compute threads: let Open MPI
    // yield the core while it waits for a peer instead of spinning (unless the user chose otherwise).
    setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
    World* w = new World();
    w->thread = std::thread(comm_thread, w);
    {
      std::unique_lock<std::mutex> lock(w->m);
      w->cv_done.wait(lock, [w] { return w->started; });
    }
    if (!w->init_ok) {
      w->thread.join();
      const std::string msg = w->init_error;
      g_world = w;
      throw Napi::Error::New(env, "gradwell: " + msg);
    }
    w->table = Collectives{gwmpi::kCollectivesMagic, gwmpi::kCollectivesVersion, w->rank, w->size, w,
                           c_start_allreduce, c_start_broadcast, c_wait, timeout};
    g_world = w;
  }
  World* w = g_world;
  Napi::Object o = Napi::Object::New(env);
  o.Set("rank", w->rank);
  o.Set("size", w->size);
  o.Set("threadLevel", w->provided == MPI_THREAD_MULTIPLE     ? "multiple"
                       : w->provided == MPI_THREAD_SERIALIZED ? "serialized"
                       : w->provided == MPI_THREAD_FUNNELED   ? "funneled"
                                                              : "single");
  o.Set("timeout", w->table.timeout_s);
  Napi::External<Collectives> ext = Napi::External<Collectives>::New(env, &w->table);
  const napi_type_tag tag{gwmpi::kCollectivesTypeTagLower, gwmpi::kCollectivesTypeTagUpper};
  if (napi_type_tag_object(env, ext, &tag) != napi_ok) throw Napi::Error::New(env, "gradwell: could not tag the collectives");
  o.Set("collectives", ext);
  return o;
}

// Null when the world works; else the first error (a failed collective or a watchdog timeout).
Napi::Value Broken(const Napi::CallbackInfo& info) {
  if (!g_world) return info.Env().Null();
  std::lock_guard<std::mutex> lock(g_world->m);
  if (!g_world->broken) return info.Env().Null();
  return Napi::String::New(info.Env(), g_world->error);
}

// Finishes the queued collectives and calls MPI_Finalize. A broken world cannot
// finalize (the communication thread may be stuck in a collective with a dead
// peer): it aborts the job instead (MPI_Abort, exit code 1).
void finalize_world() {
  World* w = g_world;
  if (!w || !w->init_ok) return;
  bool broken;
  {
    std::lock_guard<std::mutex> lock(w->m);
    if (w->stop) return;
    broken = w->broken;
    w->stop = true;
  }
  if (broken) {
    std::fflush(stdout);
    std::fflush(stderr);
    w->thread.detach();
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::_Exit(1);
  }
  w->cv_job.notify_all();
  w->thread.join();
}

Napi::Value Finalize(const Napi::CallbackInfo& info) {
  finalize_world();
  return info.Env().Undefined();
}

Napi::Value Abort(const Napi::CallbackInfo& info) {
  const int code = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 1;
  std::fflush(stdout);
  std::fflush(stderr);
  if (g_world && g_world->init_ok) {
    if (g_world->thread.joinable()) g_world->thread.detach();
    MPI_Abort(MPI_COMM_WORLD, code);
  }
  std::_Exit(code);
}

// { collectives, bytes, mpiSeconds, waitSeconds } since init or the last stats(true).
Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  if (!g_world) return o;
  std::lock_guard<std::mutex> lock(g_world->m);
  o.Set("collectives", static_cast<double>(g_world->jobs));
  o.Set("bytes", g_world->bytes);
  o.Set("mpiSeconds", g_world->mpi_seconds);
  o.Set("waitSeconds", g_world->wait_seconds);
  if (info.Length() > 0 && info[0].ToBoolean().Value()) {
    g_world->jobs = 0;
    g_world->bytes = g_world->mpi_seconds = g_world->wait_seconds = 0;
  }
  return o;
}

Napi::Value LibraryVersion(const Napi::CallbackInfo& info) {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(text, &len);
  std::string s(text, static_cast<std::size_t>(len));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return Napi::String::New(info.Env(), s);
}

Napi::Object ModuleInit(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  exports.Set("finalize", Napi::Function::New(env, Finalize, "finalize"));
  exports.Set("abort", Napi::Function::New(env, Abort, "abort"));
  exports.Set("broken", Napi::Function::New(env, Broken, "broken"));
  exports.Set("stats", Napi::Function::New(env, Stats, "stats"));
  exports.Set("libraryVersion", Napi::Function::New(env, LibraryVersion, "libraryVersion"));
  // At exit, finalize what init started (the JavaScript side also does it on 'exit').
  napi_add_env_cleanup_hook(env, [](void*) { finalize_world(); }, nullptr);
  return exports;
}

}  // namespace

NODE_API_MODULE(gradwell_mpi, ModuleInit)
