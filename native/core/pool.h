// gradwell's own fork-join pool, used by parallel_chunks and parallel_team in
// place of OpenMP's teams (GRADWELL_THREADING=openmp switches back, for A/B).
//
// Why not libgomp: a parallel region ends at a barrier that waits for every
// team member to arrive, so a helper that is asleep (OMP_WAIT_POLICY=PASSIVE)
// or descheduled by another process costs each region a wake-up or a whole time
// slice, and a spinning team (the default) starves the other processes on a
// busy machine. Here items are claimed dynamically: the calling thread runs
// every item no helper has taken, so it never waits for a helper that has not
// started, only for items already running. Helpers spin a short, bounded time
// after each job (GRADWELL_SPIN_US, default 10) and then sleep.
//
// Which thread runs an item never changes a result: items are fixed pieces of
// work whose boundaries do not depend on the thread count.
#pragma once
#include <cstddef>

namespace gw {

// Runs call(ctx, i) for every i in [0, items) on the calling thread and up to
// threads - 1 pool helpers. Returns false (having run nothing) when the pool is
// busy with another caller's job or disabled; the caller then runs the items itself.
bool pool_run(std::size_t items, int threads, void (*call)(void*, std::size_t), void* ctx);

// True on a pool helper, and on a caller while its job runs: kernels called
// from inside an item run single-threaded.
bool pool_in_job();

// False when GRADWELL_THREADING=openmp (read once).
bool pool_enabled();

}  // namespace gw
