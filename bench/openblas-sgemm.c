/* Reference timings for bench/gemm.mjs: OpenBLAS cblas_sgemm on the given
 * shapes, row-major, one JSON object per line.
 * usage: openblas-sgemm THREADS MIN_SECONDS M,N,K,TA,TB [...]   (TA/TB: 0 or 1)
 * Built by the bench at run time; gradwell itself never links OpenBLAS. */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern char* openblas_get_corename(void);
extern char* openblas_get_config(void);
extern void openblas_set_num_threads(int);

static double now(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s THREADS MIN_SECONDS M,N,K,TA,TB ...\n", argv[0]);
    return 2;
  }
  const int threads = atoi(argv[1]);
  const double min_seconds = atof(argv[2]);
  openblas_set_num_threads(threads);
  printf("{\"corename\":\"%s\",\"config\":\"%s\"}\n", openblas_get_corename(), openblas_get_config());
  for (int s = 3; s < argc; ++s) {
    int M, N, K, ta, tb;
    if (sscanf(argv[s], "%d,%d,%d,%d,%d", &M, &N, &K, &ta, &tb) != 5) return 2;
    float* a = aligned_alloc(64, ((size_t)M * K * 4 + 63) / 64 * 64);
    float* b = aligned_alloc(64, ((size_t)K * N * 4 + 63) / 64 * 64);
    float* c = aligned_alloc(64, ((size_t)M * N * 4 + 63) / 64 * 64);
    for (size_t i = 0; i < (size_t)M * K; ++i) a[i] = (float)((i * 7919 % 1000) / 1000.0 - 0.5);
    for (size_t i = 0; i < (size_t)K * N; ++i) b[i] = (float)((i * 104729 % 1000) / 1000.0 - 0.5);
    for (size_t i = 0; i < (size_t)M * N; ++i) c[i] = 0.0f;
    const int lda = ta ? M : K, ldb = tb ? K : N;
    const enum CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
    /* Warm up, then the fastest single call within the time budget. With one
     * thread the clock is process CPU time, so time slices lost to other
     * processes on a shared machine do not count; with more, wall time. */
    cblas_sgemm(CblasRowMajor, TA, TB, M, N, K, 1.0f, a, lda, b, ldb, 0.0f, c, N);
    const clockid_t clock = threads == 1 ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
    double best = 1e30, spent = 0;
    for (int r = 0; r < 3 || (spent < min_seconds && r < 100000); ++r) {
      const double t0 = now(clock);
      cblas_sgemm(CblasRowMajor, TA, TB, M, N, K, 1.0f, a, lda, b, ldb, 0.0f, c, N);
      const double dt = now(clock) - t0;
      spent += dt;
      if (dt < best) best = dt;
    }
    best = 2.0 * M * N * K / best / 1e9;
    printf("{\"M\":%d,\"N\":%d,\"K\":%d,\"transA\":%d,\"transB\":%d,\"threads\":%d,\"gflops\":%.3f}\n", M, N, K, ta, tb,
           threads, best);
    fflush(stdout);
    free(a);
    free(b);
    free(c);
  }
  return 0;
}
