// Correctness check of the gemm driver and the NEON kernels on an x86 host:
// cross-compiled for arm64 and run under qemu (bench/gemm-arm64-check.sh).
// Compares scalar and NEON tables against a double-precision reference on
// every transpose combination, padded leading dimensions, and linear+relu.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>
#include "core/isa.h"
#include "core/threads.h"
#include "kernels/gemm.h"
int main() {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> U(-1, 1);
  int bad = 0, total = 0;
  for (int isa = 0; isa < 2; ++isa) {
    gw::set_max_isa(isa ? gw::Isa::kBaseline : gw::Isa::kScalar);
    std::printf("isa %s table %s\n", gw::isa_name(gw::active_isa()), gw::gemm_kernels().isa);
    const int shapes[][3] = {{1,1,1},{7,13,5},{17,31,3},{129,257,65},{300,10,40},{33,47,300},{130,100,520},{64,2100,20}};
    for (auto& s : shapes) for (int ta = 0; ta < 2; ++ta) for (int tb = 0; tb < 2; ++tb) for (int relu = 0; relu < 2; ++relu) {
      const int M = s[0], N = s[1], K = s[2];
      const int lda = (ta ? M : K) + 1, ldb = (tb ? K : N) + 2, ldc = N + 3;
      std::vector<float> a((ta ? K : M) * lda), b((tb ? N : K) * ldb), c(M * ldc), c0;
      for (auto& x : a) x = U(rng);
      for (auto& x : b) x = U(rng);
      for (auto& x : c) x = U(rng);
      c0 = c;
      const float alpha = 0.5f, beta = relu ? 0.0f : -1.5f;
      gw::sgemm(ta, tb, M, N, K, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
      for (int i = 0; i < M; ++i) for (int j = 0; j < ldc; ++j) {
        if (j >= N) { if (c[i*ldc+j] != c0[i*ldc+j]) ++bad; continue; }
        double r = 0, m = 0;
        for (int p = 0; p < K; ++p) { double v = double(ta ? a[p*lda+i] : a[i*lda+p]) * (tb ? b[j*ldb+p] : b[p*ldb+j]); r += v; m += std::fabs(v); }
        r = alpha * r + (beta != 0 ? beta * c0[i*ldc+j] : 0);
        ++total;
        if (std::fabs(r - c[i*ldc+j]) > 1e-5 * (m + 1)) { if (bad < 5) std::printf("bad %d %d %d %d%d at %d,%d: %g vs %g\n", M,N,K,ta,tb,i,j,c[i*ldc+j],r); ++bad; }
      }
      // linear_forward with relu (NN only)
      if (!ta && !tb && relu) {
        std::vector<float> x(M*K), w(K*N), bias(N), y(M*N);
        for (auto& v : x) v = U(rng);
        for (auto& v : w) v = U(rng);
        for (auto& v : bias) v = U(rng);
        gw::linear_forward(x.data(), w.data(), bias.data(), y.data(), M, K, N, true);
        for (int i = 0; i < M; ++i) for (int j = 0; j < N; ++j) {
          double r = bias[j]; for (int p = 0; p < K; ++p) r += double(x[i*K+p]) * w[p*N+j];
          r = r > 0 ? r : 0; ++total;
          if (std::fabs(r - y[i*N+j]) > 1e-5 * (K + 1)) { ++bad; }
        }
      }
    }
  }
  std::printf("checked %d, bad %d\n", total, bad);
  return bad != 0;
}
