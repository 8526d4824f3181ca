#include "core/threads.h"

#include "core/env.h"
#include "core/pool.h"

#include <atomic>
#include <thread>

#if defined(GW_HAVE_OPENMP)
#include <omp.h>
#endif

namespace gw {
namespace {

int machine_cores() {
#if defined(GW_HAVE_OPENMP)
  const int n = omp_get_num_procs();
#else
  const int n = static_cast<int>(std::thread::hardware_concurrency());
#endif
  return n > 0 ? n : 1;
}

std::atomic<int> g_threads{default_num_threads()};

}  // namespace

int default_num_threads() { return static_cast<int>(env_long("GRADWELL_NUM_THREADS", machine_cores(), 1, 1024)); }

// Inside a parallel region (a kernel called from another kernel's chunk) the
// inner kernel runs on its calling thread: no nested teams.
int num_threads() {
  if (pool_in_job()) return 1;
#if defined(GW_HAVE_OPENMP)
  if (omp_in_parallel()) return 1;
#endif
  return g_threads.load(std::memory_order_relaxed);
}
void set_num_threads(int n) { g_threads.store(n < 1 ? 1 : n, std::memory_order_relaxed); }

bool have_openmp() {
#if defined(GW_HAVE_OPENMP)
  return true;
#else
  return false;
#endif
}

}  // namespace gw
