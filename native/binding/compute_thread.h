// The process's one compute thread: every program run (CompiledProgram.run,
// runAsync) executes on it, whatever libuv pool thread or worker_threads
// environment queued it, so the process has one OpenMP team instead of one per
// pool thread (their helpers spun against each other on a small machine).
#pragma once
#include <functional>

namespace gwb {

// Runs fn on the compute thread and returns when it has finished; an exception
// fn throws is rethrown here, with its type (CodedError keeps code and index).
// Callers queue in FIFO order. GRADWELL_COMPUTE_THREAD=0 (read once, a
// diagnostic switch for benchmarks) runs fn on the calling thread instead.
void run_on_compute_thread(const std::function<void()>& fn);

bool compute_thread_enabled();

// Starts the thread (and its OpenMP team) ahead of the first run; called when the addon loads.
void start_compute_thread();

}  // namespace gwb
