// Software prefetch of scattered rows (a gathered batch: each row starts on a
// fresh DRAM page, where the hardware prefetcher has nothing to follow yet).
#pragma once
#include <cstddef>

namespace gw {

// How many rows ahead a row gather fetches (a row of 784 bytes converts in
// well under DRAM latency, so one row ahead is too late).
constexpr std::size_t kGatherAhead = 4;

// Fetches the first min(bytes, 2 KiB) of p into the cache; past that the
// hardware prefetcher has caught on to the row.
inline void prefetch_bytes(const void* p, std::size_t bytes) {
  const char* c = static_cast<const char*>(p);
  const std::size_t n = bytes < 2048 ? bytes : 2048;
  for (std::size_t off = 0; off < n; off += 64) __builtin_prefetch(c + off);
}

}  // namespace gw
