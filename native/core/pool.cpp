#include "core/pool.h"

#include "core/env.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#define GW_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define GW_CPU_RELAX() __asm__ __volatile__("yield")
#else
#define GW_CPU_RELAX() ((void)0)
#endif

namespace gw {
namespace {

thread_local bool t_in_job = false;

class Pool {
 public:
  Pool() : spin_(std::chrono::microseconds(env_long("GRADWELL_SPIN_US", 10, 0, 100000))) {}

  // Helpers live for the whole process: they are detached, so exit never
  // waits on them (they hold no resources but their stacks).
  bool run(std::size_t items, int threads, void (*call)(void*, std::size_t), void* ctx) {
    std::unique_lock<std::mutex> owner(run_mutex_, std::try_to_lock);
    if (!owner.owns_lock()) return false;
    // A helper may still be leaving the previous job; the job's fields can only
    // be rewritten once none is inside. Wait a moment, else run inline.
    for (int i = 0; busy_.load(std::memory_order_seq_cst) != 0; ++i) {
      if (i > 4000) return false;
      GW_CPU_RELAX();
    }
    grow(threads - 1);
    call_ = call;
    ctx_ = ctx;
    items_ = items;
    helpers_allowed_ = threads - 1;
    joined_.store(0, std::memory_order_relaxed);
    next_.store(0, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    open_.store(true, std::memory_order_seq_cst);
    generation_.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lk(sleep_mutex_);
      sleep_cv_.notify_all();
    }
    t_in_job = true;
    work();
    // Only items a helper has already claimed are left: wait for them.
    for (unsigned spins = 0; done_.load(std::memory_order_acquire) != items_; ++spins) {
      if (spins < 20000) {
        GW_CPU_RELAX();
      } else {
        std::this_thread::yield();
      }
    }
    t_in_job = false;
    open_.store(false, std::memory_order_seq_cst);
    return true;
  }

 private:
  void work() {
    for (;;) {
      const std::size_t i = next_.fetch_add(1, std::memory_order_relaxed);
      if (i >= items_) return;
      call_(ctx_, i);
      done_.fetch_add(1, std::memory_order_release);
    }
  }

  void grow(int helpers) {
    while (static_cast<int>(started_) < helpers) {
      // The generation before this job's: a helper that starts late still joins it.
      std::thread(&Pool::helper, this, generation_.load(std::memory_order_relaxed)).detach();
      ++started_;
    }
  }

  void helper(std::uint64_t seen) {
    t_in_job = true;  // anything a helper runs is inside a job
    for (;;) {
      wait_for_job(seen);
      seen = generation_.load(std::memory_order_acquire);
      busy_.fetch_add(1, std::memory_order_seq_cst);
      if (open_.load(std::memory_order_seq_cst) &&
          joined_.fetch_add(1, std::memory_order_relaxed) < helpers_allowed_) {
        work();
      }
      busy_.fetch_sub(1, std::memory_order_seq_cst);
    }
  }

  void wait_for_job(std::uint64_t seen) {
    const auto until = std::chrono::steady_clock::now() + spin_;
    for (unsigned i = 0;; ++i) {
      if (generation_.load(std::memory_order_acquire) != seen) return;
      if ((i & 63) == 63 && std::chrono::steady_clock::now() >= until) break;
      GW_CPU_RELAX();
    }
    std::unique_lock<std::mutex> lk(sleep_mutex_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    sleep_cv_.wait(lk, [&] { return generation_.load(std::memory_order_seq_cst) != seen; });
    sleepers_.fetch_sub(1, std::memory_order_seq_cst);
  }

  const std::chrono::microseconds spin_;
  std::mutex run_mutex_;
  std::size_t started_ = 0;  // under run_mutex_

  // The current job: written by the owner of run_mutex_ only while no helper is
  // inside (busy_ == 0) and open_ is false; read by helpers after open_.
  void (*call_)(void*, std::size_t) = nullptr;
  void* ctx_ = nullptr;
  std::size_t items_ = 0;
  int helpers_allowed_ = 0;
  std::atomic<int> joined_{0};
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> done_{0};
  std::atomic<bool> open_{false};
  std::atomic<int> busy_{0};
  std::atomic<std::uint64_t> generation_{0};

  std::mutex sleep_mutex_;
  std::condition_variable sleep_cv_;
  std::atomic<int> sleepers_{0};
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: detached helpers use it until exit
  return *p;
}

}  // namespace

bool pool_enabled() {
  static const bool enabled = !env_is("GRADWELL_THREADING", "openmp");
  return enabled;
}

bool pool_in_job() { return t_in_job; }

bool pool_run(std::size_t items, int threads, void (*call)(void*, std::size_t), void* ctx) {
  if (!pool_enabled() || threads <= 1 || items <= 1 || t_in_job) return false;
  return pool().run(items, threads, call, ctx);
}

}  // namespace gw
