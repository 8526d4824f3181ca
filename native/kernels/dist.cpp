// dist kernels (see dist.h): portable loops over the chunked thread driver.
#include "kernels/dist.h"

#include "core/threads.h"

namespace gw {

namespace {
constexpr std::size_t kElemChunk = 1 << 14;
constexpr std::size_t kChannelChunk = 4;  // channels per task of the per-channel loops
}  // namespace

void scale_f32(float* x, std::size_t n, float alpha) {
  parallel_chunks(n, kElemChunk, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) x[i] *= alpha;
  });
}

void channel_sums(const float* x, std::size_t N, std::size_t C, std::size_t L, double* sums) {
  parallel_chunks(C, kChannelChunk, [&](std::size_t cb, std::size_t ce) {
    for (std::size_t c = cb; c < ce; ++c) {
      double s = 0.0;
      for (std::size_t n = 0; n < N; ++n) {
        const float* row = x + (n * C + c) * L;
        for (std::size_t l = 0; l < L; ++l) s += row[l];
      }
      sums[c] = s;
    }
  });
}

void channel_sq_dev(const float* x, const double* mean, std::size_t N, std::size_t C, std::size_t L, double* sums) {
  parallel_chunks(C, kChannelChunk, [&](std::size_t cb, std::size_t ce) {
    for (std::size_t c = cb; c < ce; ++c) {
      double s = 0.0;
      const double m = mean[c];
      for (std::size_t n = 0; n < N; ++n) {
        const float* row = x + (n * C + c) * L;
        for (std::size_t l = 0; l < L; ++l) {
          const double d = row[l] - m;
          s += d * d;
        }
      }
      sums[c] = s;
    }
  });
}

void channel_normalize(const float* x, float* y, const float* mean, const float* invstd, const float* gamma,
                       const float* beta, std::size_t N, std::size_t C, std::size_t L) {
  parallel_chunks(N, 1, [&](std::size_t nb, std::size_t ne) {
    for (std::size_t n = nb; n < ne; ++n) {
      for (std::size_t c = 0; c < C; ++c) {
        const float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
        const float m = mean[c], s = invstd[c];
        const float* xr = x + (n * C + c) * L;
        float* yr = y + (n * C + c) * L;
        for (std::size_t l = 0; l < L; ++l) yr[l] = (xr[l] - m) * s * g + b;
      }
    }
  });
}

void channel_backward_sums(const float* x, const float* dy, const float* mean, const float* invstd, std::size_t N,
                           std::size_t C, std::size_t L, double* sum_dy, double* sum_dy_xhat) {
  parallel_chunks(C, kChannelChunk, [&](std::size_t cb, std::size_t ce) {
    for (std::size_t c = cb; c < ce; ++c) {
      double s1 = 0.0, s2 = 0.0;
      const double m = mean[c], is = invstd[c];
      for (std::size_t n = 0; n < N; ++n) {
        const float* xr = x + (n * C + c) * L;
        const float* dr = dy + (n * C + c) * L;
        for (std::size_t l = 0; l < L; ++l) {
          s1 += dr[l];
          s2 += dr[l] * ((xr[l] - m) * is);
        }
      }
      sum_dy[c] = s1;
      sum_dy_xhat[c] = s2;
    }
  });
}

void channel_backward_dx(const float* x, const float* dy, float* dx, const float* mean, const float* invstd,
                         const float* gamma, const double* sum_dy, const double* sum_dy_xhat, double count,
                         std::size_t N, std::size_t C, std::size_t L) {
  parallel_chunks(N, 1, [&](std::size_t nb, std::size_t ne) {
    for (std::size_t n = nb; n < ne; ++n) {
      for (std::size_t c = 0; c < C; ++c) {
        const double g = gamma ? gamma[c] : 1.0;
        const double m = mean[c], is = invstd[c];
        const double mdy = sum_dy[c] / count, mdyx = sum_dy_xhat[c] / count;
        const float* xr = x + (n * C + c) * L;
        const float* dr = dy + (n * C + c) * L;
        float* out = dx + (n * C + c) * L;
        for (std::size_t l = 0; l < L; ++l) {
          const double xhat = (xr[l] - m) * is;
          out[l] = static_cast<float>(g * is * (dr[l] - mdy - xhat * mdyx));
        }
      }
    }
  });
}

}  // namespace gw
