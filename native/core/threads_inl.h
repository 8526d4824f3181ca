#pragma once
#include <cstdint>
#include <exception>
#include <mutex>

#include "core/pool.h"

namespace gw {
namespace detail {

// One pool job's items: fn(item) each, the first exception kept for the caller
// (an item that throws still counts as done, so the job always ends).
template <class Fn>
struct PoolItems {
  Fn* fn;
  std::exception_ptr failure;
  std::mutex failure_mutex;

  static void call(void* self, std::size_t item) {
    auto* p = static_cast<PoolItems*>(self);
    try {
      (*p->fn)(item);
    } catch (...) {
      std::lock_guard<std::mutex> lock(p->failure_mutex);
      if (!p->failure) p->failure = std::current_exception();
    }
  }
};

// True when the pool ran every item (rethrowing the first failure); false when
// it ran none (disabled, or busy with another caller's job).
template <class Fn>
bool run_on_pool(std::size_t items, int threads, Fn& fn) {
  PoolItems<Fn> job{&fn, nullptr, {}};
  if (!pool_run(items, threads, &PoolItems<Fn>::call, &job)) return false;
  if (job.failure) std::rethrow_exception(job.failure);
  return true;
}

}  // namespace detail

template <class Fn>
void parallel_chunks(std::size_t n, std::size_t chunk, Fn&& fn) {
  if (n == 0) return;
  if (chunk == 0) chunk = 1;
  const std::int64_t chunks = static_cast<std::int64_t>((n + chunk - 1) / chunk);
  const int threads = num_threads();
  auto run_chunk = [&](std::size_t c) {
    const std::size_t b = c * chunk;
    fn(b, b + chunk < n ? b + chunk : n);
  };
  if (chunks == 1 || threads == 1) {
    for (std::int64_t c = 0; c < chunks; ++c) run_chunk(static_cast<std::size_t>(c));
    return;
  }
  if (pool_enabled()) {
    const int team = threads < chunks ? threads : static_cast<int>(chunks);
    if (!detail::run_on_pool(static_cast<std::size_t>(chunks), team, run_chunk)) {
      for (std::int64_t c = 0; c < chunks; ++c) run_chunk(static_cast<std::size_t>(c));
    }
    return;
  }
#if defined(GW_HAVE_OPENMP)
#pragma omp parallel for schedule(static) num_threads(threads < chunks ? threads : static_cast<int>(chunks))
#endif
  for (std::int64_t c = 0; c < chunks; ++c) run_chunk(static_cast<std::size_t>(c));
}

template <class Fn>
void parallel_team(std::size_t team, Fn&& fn) {
  if (team <= 1) {
    if (team == 1) fn(std::size_t{0});
    return;
  }
  if (pool_enabled()) {
    auto share = [&](std::size_t t) { fn(t); };
    if (!detail::run_on_pool(team, static_cast<int>(team), share)) {
      for (std::size_t t = 0; t < team; ++t) fn(t);
    }
    return;
  }
#if defined(GW_HAVE_OPENMP)
  const int threads = static_cast<int>(team);
  std::exception_ptr failure;
#pragma omp parallel for schedule(static, 1) num_threads(threads)
  for (int t = 0; t < threads; ++t) {
    try {
      fn(static_cast<std::size_t>(t));
    } catch (...) {
#pragma omp critical(gw_parallel_team_failure)
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
#else
  for (std::size_t t = 0; t < team; ++t) fn(t);
#endif
}

}  // namespace gw
