#pragma once
#include <cstdint>
#include <exception>

namespace gw {

template <class Fn>
void parallel_chunks(std::size_t n, std::size_t chunk, Fn&& fn) {
  if (n == 0) return;
  if (chunk == 0) chunk = 1;
  const std::int64_t chunks = static_cast<std::int64_t>((n + chunk - 1) / chunk);
  const int threads = num_threads();
  if (chunks == 1 || threads == 1) {
    for (std::int64_t c = 0; c < chunks; ++c) {
      const std::size_t b = static_cast<std::size_t>(c) * chunk;
      fn(b, b + chunk < n ? b + chunk : n);
    }
    return;
  }
#if defined(GW_HAVE_OPENMP)
#pragma omp parallel for schedule(static) num_threads(threads < chunks ? threads : static_cast<int>(chunks))
#endif
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::size_t b = static_cast<std::size_t>(c) * chunk;
    fn(b, b + chunk < n ? b + chunk : n);
  }
}

template <class Fn>
void parallel_team(std::size_t team, Fn&& fn) {
  if (team <= 1) {
    if (team == 1) fn(std::size_t{0});
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
