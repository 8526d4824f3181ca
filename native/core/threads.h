// Thread count for every parallel region, and the two fork-join shapes the
// kernels use. They run on gradwell's pool (core/pool.h), or on OpenMP teams
// with GRADWELL_THREADING=openmp, each region passing this count explicitly
// (OpenMP's own setting is per calling thread). Work is split into fixed-size
// chunks that do not depend on the count, so results are identical for any
// number of threads and whichever thread runs a chunk.
#pragma once
#include <cstddef>

namespace gw {

int num_threads();                 // >= 1
void set_num_threads(int n);       // n >= 1 (checked by the binding)
int default_num_threads();         // GRADWELL_NUM_THREADS, else the machine's cores
bool have_openmp();

// Runs fn(begin, end) over [0, n) in chunks of `chunk` items (the last may be
// shorter). Chunk boundaries depend only on n and chunk, never on the thread
// count. Runs inline when there is one chunk or one thread.
template <class Fn>
void parallel_chunks(std::size_t n, std::size_t chunk, Fn&& fn);

// Runs fn(t) for t in [0, team) with one thread each (team <= num_threads() is
// the caller's choice). An exception thrown by fn (a failed scratch
// allocation) does not escape the parallel region: the first is rethrown on
// the calling thread after the team ends.
template <class Fn>
void parallel_team(std::size_t team, Fn&& fn);

}  // namespace gw

#include "core/threads_inl.h"
