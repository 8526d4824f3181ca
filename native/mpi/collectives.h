// The collectives table that the MPI module (native/mpi, built from source
// against the system's MPI by `npm run build:mpi`) hands to the main addon at
// distributed.init(). The main addon never links libmpi: it calls these
// function pointers from the ops of native/binding/dist_ops.cpp, on the
// worker thread of a training program. Both sides include this header; the
// table travels as a napi External tagged with kCollectivesTypeTag, and the
// main addon checks the tag, the magic and the version before using it.
//
// Every collective is queued to one communication thread in the MPI module
// that makes all MPI calls in queue order (so the order is the same on every
// rank as long as every rank queues the same sequence). start_* returns a
// ticket; wait() blocks until that ticket (and every earlier one) is done, or
// until timeout_s passes (the watchdog: a rank that died or stalled makes the
// others fail with a message instead of hanging). After a failure or a timeout
// the world is broken: every later start/wait fails with the first message.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gwmpi {

constexpr std::uint32_t kCollectivesMagic = 0x47574331u;  // "GWC1"
constexpr std::uint32_t kCollectivesVersion = 1;

// napi_type_tag of the External that carries a Collectives* (N-API 8).
constexpr std::uint64_t kCollectivesTypeTagLower = 0x6772616477656c6cull;  // "gradwell"
constexpr std::uint64_t kCollectivesTypeTagUpper = 0x6d70692d636f6c31ull;  // "mpi-col1"

enum DType : int { kF32 = 1, kF64 = 2 };

struct Collectives {
  std::uint32_t magic;
  std::uint32_t version;
  int rank;
  int size;
  void* ctx;
  // Queues an in-place sum over all ranks of `count` elements at `buf`. 0: failed (see wait/last_error).
  std::uint64_t (*start_allreduce)(void* ctx, int dtype, void* buf, std::size_t count);
  // Queues a broadcast of `count` elements at `buf` from `root`.
  std::uint64_t (*start_broadcast)(void* ctx, int dtype, void* buf, std::size_t count, int root);
  // 0 when `ticket` is done; else writes a message (at most errlen bytes, NUL-terminated) and returns nonzero.
  int (*wait)(void* ctx, std::uint64_t ticket, double timeout_s, char* err, std::size_t errlen);
  // The watchdog timeout in seconds (GRADWELL_MPI_TIMEOUT, default 300).
  double timeout_s;
};

}  // namespace gwmpi
