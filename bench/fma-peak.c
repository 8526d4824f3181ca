/* Peak single-precision FMA throughput of one core, for bench/gemm.mjs:
 * 24 independent chains of 16-lane (AVX-512) or 8-lane (AVX2) FMAs, enough to
 * cover FMA latency x pipes on current x86 cores; best of 20 short runs by
 * thread CPU time. Prints GFLOP/s. */
#define _POSIX_C_SOURCE 200809L
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

/* Thread CPU time: slices lost to other processes on a shared machine do not count. */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define SET1(x) _mm512_set1_ps(x)
#define SUM(v) _mm512_reduce_add_ps(v)
#else
typedef __m256 vec;
#define LANES 8
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define SET1(x) _mm256_set1_ps(x)
static float SUM(__m256 v) {
  float t[8];
  _mm256_storeu_ps(t, v);
  return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#endif

#define CHAINS 24

int main(void) {
  vec acc[CHAINS];
  const vec m = SET1(0.999999f), add = SET1(1e-7f);
  for (int i = 0; i < CHAINS; ++i) acc[i] = SET1((float)i);
  const long iters = 2000000;
  double best = 0;
  for (int rep = 0; rep < 20; ++rep) {
    const double t0 = now();
    for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 24
      for (int i = 0; i < CHAINS; ++i) acc[i] = FMA(acc[i], m, add);

    }
    const double g = 2.0 * LANES * CHAINS * iters / (now() - t0) / 1e9;
    if (g > best) best = g;
  }
  float sink = 0;
  for (int i = 0; i < CHAINS; ++i) sink += SUM(acc[i]);
  printf("{\"lanes\":%d,\"gflops\":%.3f,\"sink\":%g}\n", LANES, best, sink);
  return 0;
}
