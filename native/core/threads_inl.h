#pragma once
#include <cstdint>

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

}  // namespace gw
