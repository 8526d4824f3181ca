// Development harness: gradwell's sgemm driver (linked from source) against
// OpenBLAS in one process, calls interleaved, min-of-N per-call wall time, so
// a busy shared machine disturbs the ratio as little as possible.
//   build: see bench/gemm-compare.sh
//   usage: gemm-compare THREADS CALLS M,N,K,TA,TB ...
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/threads.h"
#include "kernels/gemm.h"

extern "C" void openblas_set_num_threads(int);

// With one thread, the calling thread's CPU time: time slices lost to other
// processes on a shared machine do not count. With more, wall time.
static bool g_thread_clock = false;
static double now_s() {
  timespec ts;
  clock_gettime(g_thread_clock ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
static double seconds_of(void (*fn)(void*), void* ctx) {
  const double t0 = now_s();
  fn(ctx);
  return now_s() - t0;
}

struct Problem {
  int M, N, K, ta, tb;
  std::vector<float> a, b, c;
};

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  const int threads = std::atoi(argv[1]);
  const int calls = std::atoi(argv[2]);
  gw::set_num_threads(threads);
  g_thread_clock = threads == 1;
  openblas_set_num_threads(threads);
  for (int s = 3; s < argc; ++s) {
    Problem p{};
    if (std::sscanf(argv[s], "%d,%d,%d,%d,%d", &p.M, &p.N, &p.K, &p.ta, &p.tb) != 5) return 2;
    p.a.resize(std::size_t(p.M) * p.K);
    p.b.resize(std::size_t(p.K) * p.N);
    p.c.resize(std::size_t(p.M) * p.N);
    for (std::size_t i = 0; i < p.a.size(); ++i) p.a[i] = float(i % 1000) / 1000.0f - 0.5f;
    for (std::size_t i = 0; i < p.b.size(); ++i) p.b[i] = float(i % 997) / 997.0f - 0.5f;
    auto run_gw = [](void* v) {
      auto* q = static_cast<Problem*>(v);
      gw::sgemm(q->ta, q->tb, q->M, q->N, q->K, 1.0f, q->a.data(), q->ta ? q->M : q->K, q->b.data(),
                q->tb ? q->K : q->N, 0.0f, q->c.data(), q->N);
    };
    auto run_ob = [](void* v) {
      auto* q = static_cast<Problem*>(v);
      cblas_sgemm(CblasRowMajor, q->ta ? CblasTrans : CblasNoTrans, q->tb ? CblasTrans : CblasNoTrans, q->M, q->N,
                  q->K, 1.0f, q->a.data(), q->ta ? q->M : q->K, q->b.data(), q->tb ? q->K : q->N, 0.0f, q->c.data(),
                  q->N);
    };
    run_gw(&p);
    run_ob(&p);
    double best_gw = 1e9, best_ob = 1e9;
    for (int r = 0; r < calls; ++r) {
      best_gw = std::min(best_gw, seconds_of(run_gw, &p));
      best_ob = std::min(best_ob, seconds_of(run_ob, &p));
    }
    const double flop = 2.0 * p.M * p.N * p.K;
    std::printf("%5dx%5dx%5d %c%c thr %d  gradwell %7.1f  openblas %7.1f  ratio %.2f\n", p.M, p.N, p.K,
                p.ta ? 'T' : 'N', p.tb ? 'T' : 'N', threads, flop / best_gw / 1e9, flop / best_ob / 1e9,
                best_ob / best_gw);
  }
  return 0;
}
