#include "binding/compute_thread.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "core/env.h"
#include "core/pool.h"
#include "core/threads.h"

#if defined(GW_HAVE_OPENMP)
#include <omp.h>
#endif

namespace gwb {
namespace {

// One queued call; it lives on the waiting caller's stack until done.
struct Job {
  const std::function<void()>* fn;
  std::exception_ptr error;
  bool done = false;
  std::condition_variable cv;
};

// Created on first use and never destroyed: the detached thread may still be
// waiting on the queue while the process runs its static destructors.
struct Worker {
  std::mutex m;
  std::condition_variable work;
  std::deque<Job*> queue;
};

void loop(Worker* w) {
#if defined(GW_HAVE_OPENMP)
  // Start the team now, at load, rather than inside the first training step.
  const int team = gw::num_threads();
  if (team > 1 && !gw::pool_enabled()) {
#pragma omp parallel num_threads(team)
    { (void)omp_get_thread_num(); }
  }
#endif
  for (;;) {
    Job* job;
    {
      std::unique_lock<std::mutex> lock(w->m);
      w->work.wait(lock, [w] { return !w->queue.empty(); });
      job = w->queue.front();
      w->queue.pop_front();
    }
    try {
      (*job->fn)();
    } catch (...) {
      job->error = std::current_exception();
    }
    // Notified under the lock: once the caller sees done it may destroy the job.
    std::lock_guard<std::mutex> lock(w->m);
    job->done = true;
    job->cv.notify_one();
  }
}

Worker* worker() {
  static Worker* w = [] {
    auto* created = new Worker();
    std::thread(loop, created).detach();
    return created;
  }();
  return w;
}

}  // namespace

bool compute_thread_enabled() {
  static const bool enabled = !gw::env_is("GRADWELL_COMPUTE_THREAD", "0");
  return enabled;
}

void start_compute_thread() {
  if (compute_thread_enabled()) worker();
}

void run_on_compute_thread(const std::function<void()>& fn) {
  if (!compute_thread_enabled()) {
    fn();
    return;
  }
  Worker* w = worker();
  Job job;
  job.fn = &fn;
  {
    std::unique_lock<std::mutex> lock(w->m);
    w->queue.push_back(&job);
    w->work.notify_one();
    job.cv.wait(lock, [&job] { return job.done; });
  }
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace gwb
