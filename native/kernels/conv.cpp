// Drivers for conv: thread loops over the active ISA's kernels (conv.h).
//
// Forward and backward-data split the batch into one-sample chunks; pooling
// splits the N*C planes. The filter gradient sums over samples: the batch is
// cut into at most kFilterChunks fixed chunks (the chunk size depends on N
// only), each chunk's partial gradient is computed on its own, and the
// partials are added in chunk order, so the result does not depend on the
// thread count.
#include "kernels/conv.h"

#include <algorithm>
#include <cstring>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/isa.h"
#include "core/scratch.h"
#include "core/threads.h"
#include "kernels/dropout.h"

namespace gw {

const ConvKernels& conv_kernels() { return GW_PICK(conv_kernels); }

namespace {

constexpr std::size_t kFilterChunks = 16;
constexpr std::size_t kPoolChunkElems = 1 << 14;  // input elements per pooling chunk

std::size_t pool_chunk(const PoolShape& s) { return std::max<std::size_t>(1, kPoolChunkElems / std::max<std::size_t>(1, s.H * s.W)); }

}  // namespace

// Samples per chunk of the forward and backward-data passes: at most kFilterChunks chunks,
// so per-call set-up (packing the weights) is paid a few times, not once per sample.
// Each sample's result does not depend on the chunking.
std::size_t sample_chunk(std::size_t n) { return std::max<std::size_t>(1, (n + kFilterChunks - 1) / kFilterChunks); }

void conv2d_forward(const float* x, const float* w, const float* bias, float* y, const ConvShape& s, bool relu) {
  const ConvKernels& kt = conv_kernels();
  parallel_chunks(s.N, sample_chunk(s.N), [&](std::size_t n0, std::size_t n1) { kt.forward(x, w, bias, y, s, n0, n1, relu); });
}

void conv2d_backward_data(const float* dy, const float* w, float* dx, const ConvShape& s) {
  const ConvKernels& kt = conv_kernels();
  parallel_chunks(s.N, sample_chunk(s.N), [&](std::size_t n0, std::size_t n1) { kt.backward_data(dy, w, dx, s, n0, n1); });
}

void conv2d_backward_filter(const float* x, const float* dy, float* dw, float* db, const ConvShape& s) {
  const ConvKernels& kt = conv_kernels();
  const std::size_t wsize = s.K * s.ckk();
  const std::size_t ohw = s.OH * s.OW;
  if (db) {
    // Per channel: samples in order, then positions; double accumulation.
    parallel_chunks(s.K, 1, [&](std::size_t k0, std::size_t k1) {
      for (std::size_t k = k0; k < k1; ++k) {
        double acc = 0.0;
        for (std::size_t n = 0; n < s.N; ++n) {
          const float* r = dy + (n * s.K + k) * ohw;
          float part = 0.0f;
          for (std::size_t t = 0; t < ohw; ++t) part += r[t];
          acc += part;
        }
        db[k] = static_cast<float>(acc);
      }
    });
  }
  const std::size_t chunk = (s.N + kFilterChunks - 1) / kFilterChunks;
  const std::size_t chunks = s.N == 0 ? 0 : (s.N + chunk - 1) / chunk;
  if (chunks <= 1) {
    kt.backward_filter(x, dy, dw, s, 0, s.N);
    return;
  }
  static thread_local Scratch partial_buf;
  float* partial = partial_buf.get(chunks * wsize);
  parallel_chunks(chunks, 1, [&](std::size_t c0, std::size_t c1) {
    for (std::size_t c = c0; c < c1; ++c) {
      kt.backward_filter(x, dy, partial + c * wsize, s, c * chunk, std::min(s.N, (c + 1) * chunk));
    }
  });
  parallel_chunks(wsize, 4096, [&](std::size_t e0, std::size_t e1) {
    for (std::size_t e = e0; e < e1; ++e) {
      float acc = partial[e];
      for (std::size_t c = 1; c < chunks; ++c) acc += partial[c * wsize + e];
      dw[e] = acc;
    }
  });
}

void maxpool2d_forward(const float* x, float* y, std::int32_t* argmax, const PoolShape& s) {
  const ConvKernels& kt = conv_kernels();
  parallel_chunks(s.N * s.C, pool_chunk(s), [&](std::size_t p0, std::size_t p1) { kt.maxpool_forward(x, y, argmax, s, p0, p1); });
}

void maxpool2d_backward(const float* dy, const std::int32_t* argmax, float* dx, const PoolShape& s) {
  const std::size_t n = s.N * s.C * s.OH * s.OW;
  const std::int64_t plane = static_cast<std::int64_t>(s.H * s.W);
  for (std::size_t i = 0; i < n; ++i) {
    if (argmax[i] < 0 || argmax[i] >= plane) {
      throw std::range_error("maxpool2d_backward: argmax[" + std::to_string(i) + "] = " + std::to_string(argmax[i]) +
                             " is outside the input plane [0, " + std::to_string(plane) + ")");
    }
  }
  const ConvKernels& kt = conv_kernels();
  parallel_chunks(s.N * s.C, pool_chunk(s), [&](std::size_t p0, std::size_t p1) { kt.maxpool_backward(dy, argmax, dx, s, p0, p1); });
}

void avgpool2d_forward(const float* x, float* y, const PoolShape& s, bool count_include_pad) {
  const ConvKernels& kt = conv_kernels();
  parallel_chunks(s.N * s.C, pool_chunk(s), [&](std::size_t p0, std::size_t p1) { kt.avgpool_forward(x, y, s, p0, p1, count_include_pad); });
}

void avgpool2d_backward(const float* dy, float* dx, const PoolShape& s, bool count_include_pad) {
  const ConvKernels& kt = conv_kernels();
  parallel_chunks(s.N * s.C, pool_chunk(s), [&](std::size_t p0, std::size_t p1) { kt.avgpool_backward(dy, dx, s, p0, p1, count_include_pad); });
}

namespace {
// The clipped window of output (oh, ow).
struct Win {
  std::size_t h0, h1, w0, w1;
};
Win pool_window(const PoolShape& s, std::size_t oh, std::size_t ow) {
  const std::ptrdiff_t h = static_cast<std::ptrdiff_t>(oh * s.sh) - static_cast<std::ptrdiff_t>(s.ph);
  const std::ptrdiff_t w = static_cast<std::ptrdiff_t>(ow * s.sw) - static_cast<std::ptrdiff_t>(s.pw);
  const std::ptrdiff_t H = static_cast<std::ptrdiff_t>(s.H), W = static_cast<std::ptrdiff_t>(s.W);
  return {static_cast<std::size_t>(std::max<std::ptrdiff_t>(h, 0)),
          static_cast<std::size_t>(std::min<std::ptrdiff_t>(h + static_cast<std::ptrdiff_t>(s.kh), H)),
          static_cast<std::size_t>(std::max<std::ptrdiff_t>(w, 0)),
          static_cast<std::size_t>(std::min<std::ptrdiff_t>(w + static_cast<std::ptrdiff_t>(s.kw), W))};
}

void check_choice(const std::int32_t* choice, const PoolShape& s, const char* op) {
  const std::size_t n = s.N * s.C * s.OH * s.OW;
  const std::int64_t plane = static_cast<std::int64_t>(s.H * s.W);
  for (std::size_t i = 0; i < n; ++i) {
    if (choice[i] < -1 || choice[i] >= plane) {
      throw std::range_error(std::string(op) + ": choice[" + std::to_string(i) + "] = " + std::to_string(choice[i]) +
                             " is neither -1 nor inside the input plane [0, " + std::to_string(plane) + ")");
    }
  }
}
}  // namespace

void stochpool2d_forward_train(const float* x, float* y, std::int32_t* choice, const PoolShape& s,
                               const StochasticKey& key) {
  const std::size_t ohw = s.OH * s.OW;
  const std::uint32_t step_lo = static_cast<std::uint32_t>(key.step), step_hi = static_cast<std::uint32_t>(key.step >> 32);
  parallel_chunks(s.N * s.C, pool_chunk(s), [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1; ++p) {
      const float* xp = x + p * s.H * s.W;
      for (std::size_t oh = 0; oh < s.OH; ++oh) {
        for (std::size_t ow = 0; ow < s.OW; ++ow) {
          const std::size_t o = p * ohw + oh * s.OW + ow;
          const Win w = pool_window(s, oh, ow);
          double sum = 0.0;
          for (std::size_t ih = w.h0; ih < w.h1; ++ih)
            for (std::size_t iw = w.w0; iw < w.w1; ++iw) sum += std::max(xp[ih * s.W + iw], 0.0f);
          std::int32_t at = -1;
          float v = 0.0f;
          if (sum > 0.0) {
            const std::uint32_t counter[4] = {static_cast<std::uint32_t>(o), static_cast<std::uint32_t>(o >> 32), step_lo, step_hi};
            std::uint32_t word[4];
            philox4x32_10(counter, key.seed, key.stream, word);
            const double target = static_cast<double>(word[0] >> 8) * (1.0 / 16777216.0) * sum;
            // The first positive element whose running sum exceeds the target; the last
            // positive one if rounding leaves the target unreached.
            auto pick = [&]() -> std::int32_t {
              double run = 0.0;
              std::int32_t last = -1;
              for (std::size_t ih = w.h0; ih < w.h1; ++ih) {
                for (std::size_t iw = w.w0; iw < w.w1; ++iw) {
                  const float a = xp[ih * s.W + iw];
                  if (!(a > 0.0f)) continue;
                  run += a;
                  last = static_cast<std::int32_t>(ih * s.W + iw);
                  if (run > target) return last;
                }
              }
              return last;
            };
            at = pick();
            v = xp[at];
          }
          y[o] = v;
          choice[o] = at;
        }
      }
    }
  });
}

namespace {
// S1 = sum a, S2 = sum a^2 over window w of plane xp, a = max(x, 0) (in double).
std::pair<double, double> positive_sums(const float* xp, const PoolShape& s, const Win& w) {
  double s1 = 0.0, s2 = 0.0;
  for (std::size_t ih = w.h0; ih < w.h1; ++ih)
    for (std::size_t iw = w.w0; iw < w.w1; ++iw) {
      const double a = std::max(xp[ih * s.W + iw], 0.0f);
      s1 += a;
      s2 += a * a;
    }
  return {s1, s2};
}
}  // namespace

void stochpool2d_forward_eval(const float* x, float* y, const PoolShape& s) {
  const std::size_t ohw = s.OH * s.OW;
  parallel_chunks(s.N * s.C, pool_chunk(s), [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1; ++p) {
      const float* xp = x + p * s.H * s.W;
      for (std::size_t oh = 0; oh < s.OH; ++oh) {
        for (std::size_t ow = 0; ow < s.OW; ++ow) {
          const Win w = pool_window(s, oh, ow);
          const auto [s1, s2] = positive_sums(xp, s, w);
          y[p * ohw + oh * s.OW + ow] = s1 > 0.0 ? static_cast<float>(s2 / s1) : 0.0f;
        }
      }
    }
  });
}

void stochpool2d_backward_train(const float* dy, const std::int32_t* choice, float* dx, const PoolShape& s) {
  check_choice(choice, s, "stochpool2d_backward_train");
  const std::size_t ohw = s.OH * s.OW, hw = s.H * s.W;
  parallel_chunks(s.N * s.C, pool_chunk(s), [&](std::size_t p0, std::size_t p1) {
    std::memset(dx + p0 * hw, 0, (p1 - p0) * hw * sizeof(float));
    for (std::size_t p = p0; p < p1; ++p)
      for (std::size_t o = 0; o < ohw; ++o) {
        const std::int32_t c = choice[p * ohw + o];
        if (c >= 0) dx[p * hw + static_cast<std::size_t>(c)] += dy[p * ohw + o];
      }
  });
}

void stochpool2d_backward_eval(const float* x, const float* dy, float* dx, const PoolShape& s) {
  const std::size_t ohw = s.OH * s.OW, hw = s.H * s.W;
  parallel_chunks(s.N * s.C, pool_chunk(s), [&](std::size_t p0, std::size_t p1) {
    std::memset(dx + p0 * hw, 0, (p1 - p0) * hw * sizeof(float));
    for (std::size_t p = p0; p < p1; ++p) {
      const float* xp = x + p * hw;
      float* dxp = dx + p * hw;
      for (std::size_t oh = 0; oh < s.OH; ++oh) {
        for (std::size_t ow = 0; ow < s.OW; ++ow) {
          const Win w = pool_window(s, oh, ow);
          const auto [s1, s2] = positive_sums(xp, s, w);
          if (!(s1 > 0.0)) continue;
          const double g = dy[p * ohw + oh * s.OW + ow] / (s1 * s1);
          for (std::size_t ih = w.h0; ih < w.h1; ++ih)
            for (std::size_t iw = w.w0; iw < w.w1; ++iw) {
              const float a = xp[ih * s.W + iw];
              if (a > 0.0f) dxp[ih * s.W + iw] += static_cast<float>(g * (2.0 * a * s1 - s2));
            }
        }
      }
    }
  });
}

void global_avgpool2d_forward(const float* x, float* y, std::size_t planes, std::size_t hw) {
  const std::size_t chunk = std::max<std::size_t>(1, kPoolChunkElems / std::max<std::size_t>(1, hw));
  parallel_chunks(planes, chunk, [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1; ++p) {
      const float* r = x + p * hw;
      double acc = 0.0;
      for (std::size_t t = 0; t < hw; ++t) acc += r[t];
      y[p] = static_cast<float>(acc / static_cast<double>(hw));
    }
  });
}

void global_avgpool2d_backward(const float* dy, float* dx, std::size_t planes, std::size_t hw) {
  const std::size_t chunk = std::max<std::size_t>(1, kPoolChunkElems / std::max<std::size_t>(1, hw));
  parallel_chunks(planes, chunk, [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1; ++p) {
      const float g = dy[p] / static_cast<float>(hw);
      float* r = dx + p * hw;
      for (std::size_t t = 0; t < hw; ++t) r[t] = g;
    }
  });
}

}  // namespace gw
