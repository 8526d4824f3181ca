// conv: plain scalar reference kernels (direct loops, float accumulation in a fixed order).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/conv.h"

namespace gw {
namespace conv_ref {

namespace {
// Calls f(i, j, ih * W + iw) for each kernel tap (i, j) of output (oh, ow) that falls inside the input
// (not in the padding), in (i, j) order.
// The input row of output row oh at kernel row i, or a negative value in the padding (tap_col: columns).
std::ptrdiff_t tap_row(const ConvShape& s, std::size_t oh, std::size_t i) {
  const std::ptrdiff_t ih = static_cast<std::ptrdiff_t>(oh * s.sh + i * s.dh) - static_cast<std::ptrdiff_t>(s.ph);
  return ih < static_cast<std::ptrdiff_t>(s.H) ? ih : -1;
}
std::ptrdiff_t tap_col(const ConvShape& s, std::size_t ow, std::size_t j) {
  const std::ptrdiff_t iw = static_cast<std::ptrdiff_t>(ow * s.sw + j * s.dw) - static_cast<std::ptrdiff_t>(s.pw);
  return iw < static_cast<std::ptrdiff_t>(s.W) ? iw : -1;
}

template <class F>
void for_each_tap(const ConvShape& s, std::size_t oh, std::size_t ow, F&& f) {
  for (std::size_t i = 0; i < s.kh; ++i) {
    const std::ptrdiff_t ih = tap_row(s, oh, i);
    if (ih < 0) continue;
    for (std::size_t j = 0; j < s.kw; ++j) {
      const std::ptrdiff_t iw = tap_col(s, ow, j);
      if (iw >= 0) f(i, j, ih * static_cast<std::ptrdiff_t>(s.W) + iw);
    }
  }
}
}  // namespace

void forward(const float* x, const float* w, const float* bias, float* y, const ConvShape& s, std::size_t n0,
             std::size_t n1, bool relu) {
  const std::size_t cg = s.cg(), kg = s.kg();
  for (std::size_t n = n0; n < n1; ++n) {
    for (std::size_t k = 0; k < s.K; ++k) {
      const std::size_t g = k / kg;
      const float* wk = w + k * s.ckk();
      float* yk = y + (n * s.K + k) * s.OH * s.OW;
      for (std::size_t oh = 0; oh < s.OH; ++oh) {
        for (std::size_t ow = 0; ow < s.OW; ++ow) {
          float acc = 0.0f;
          for (std::size_t c = 0; c < cg; ++c) {
            const float* xc = x + (n * s.C + g * cg + c) * s.H * s.W;
            for_each_tap(s, oh, ow, [&](std::size_t i, std::size_t j, std::ptrdiff_t at) {
              acc += wk[(c * s.kh + i) * s.kw + j] * xc[at];
            });
          }
          if (bias) acc += bias[k];
          if (relu && acc < 0.0f) acc = 0.0f;
          yk[oh * s.OW + ow] = acc;
        }
      }
    }
  }
}

void backward_data(const float* dy, const float* w, float* dx, const ConvShape& s, std::size_t n0, std::size_t n1) {
  const std::size_t cg = s.cg(), kg = s.kg();
  std::memset(dx + n0 * s.C * s.H * s.W, 0, (n1 - n0) * s.C * s.H * s.W * sizeof(float));
  for (std::size_t n = n0; n < n1; ++n) {
    for (std::size_t k = 0; k < s.K; ++k) {
      const std::size_t g = k / kg;
      const float* wk = w + k * s.ckk();
      const float* dyk = dy + (n * s.K + k) * s.OH * s.OW;
      for (std::size_t oh = 0; oh < s.OH; ++oh) {
        for (std::size_t ow = 0; ow < s.OW; ++ow) {
          const float d = dyk[oh * s.OW + ow];
          for (std::size_t c = 0; c < cg; ++c) {
            float* dxc = dx + (n * s.C + g * cg + c) * s.H * s.W;
            for_each_tap(s, oh, ow, [&](std::size_t i, std::size_t j, std::ptrdiff_t at) {
              dxc[at] += wk[(c * s.kh + i) * s.kw + j] * d;
            });
          }
        }
      }
    }
  }
}

void backward_filter(const float* x, const float* dy, float* dw, const ConvShape& s, std::size_t n0, std::size_t n1) {
  const std::size_t cg = s.cg(), kg = s.kg();
  for (std::size_t k = 0; k < s.K; ++k) {
    const std::size_t g = k / kg;
    for (std::size_t c = 0; c < cg; ++c) {
      for (std::size_t i = 0; i < s.kh; ++i) {
        for (std::size_t j = 0; j < s.kw; ++j) {
          float acc = 0.0f;
          for (std::size_t n = n0; n < n1; ++n) {
            const float* xc = x + (n * s.C + g * cg + c) * s.H * s.W;
            const float* dyk = dy + (n * s.K + k) * s.OH * s.OW;
            for (std::size_t oh = 0; oh < s.OH; ++oh) {
              const std::ptrdiff_t ih = tap_row(s, oh, i);
              if (ih < 0) continue;
              for (std::size_t ow = 0; ow < s.OW; ++ow) {
                const std::ptrdiff_t iw = tap_col(s, ow, j);
                if (iw >= 0) acc += dyk[oh * s.OW + ow] * xc[ih * static_cast<std::ptrdiff_t>(s.W) + iw];
              }
            }
          }
          dw[k * s.ckk() + (c * s.kh + i) * s.kw + j] = acc;
        }
      }
    }
  }
}

namespace {
// The clipped window of output (oh, ow): rows [h0, h1), cols [w0, w1) of the input.
struct Window {
  std::ptrdiff_t h0, h1, w0, w1;
  std::ptrdiff_t count_padded;  // (h1 - h0) * (w1 - w0) before clipping to the input
  // Average pooling's divisor: the padded window, or only its elements inside the input.
  std::ptrdiff_t divisor(bool count_include_pad) const {
    return count_include_pad ? count_padded : (h1 - h0) * (w1 - w0);
  }
};
Window window(const PoolShape& s, std::size_t oh, std::size_t ow) {
  const std::ptrdiff_t H = static_cast<std::ptrdiff_t>(s.H), W = static_cast<std::ptrdiff_t>(s.W);
  std::ptrdiff_t h0 = static_cast<std::ptrdiff_t>(oh * s.sh) - static_cast<std::ptrdiff_t>(s.ph);
  std::ptrdiff_t w0 = static_cast<std::ptrdiff_t>(ow * s.sw) - static_cast<std::ptrdiff_t>(s.pw);
  std::ptrdiff_t h1 = std::min<std::ptrdiff_t>(h0 + static_cast<std::ptrdiff_t>(s.kh), H + static_cast<std::ptrdiff_t>(s.ph));
  std::ptrdiff_t w1 = std::min<std::ptrdiff_t>(w0 + static_cast<std::ptrdiff_t>(s.kw), W + static_cast<std::ptrdiff_t>(s.pw));
  const std::ptrdiff_t padded = (h1 - h0) * (w1 - w0);
  h0 = std::max<std::ptrdiff_t>(h0, 0);
  w0 = std::max<std::ptrdiff_t>(w0, 0);
  h1 = std::min<std::ptrdiff_t>(h1, H);
  w1 = std::min<std::ptrdiff_t>(w1, W);
  return {h0, h1, w0, w1, padded};
}

// Calls f(p, o, window) for each output o = oh * OW + ow of the planes [p0, p1), in order.
template <class F>
void for_each_window(const PoolShape& s, std::size_t p0, std::size_t p1, F&& f) {
  for (std::size_t p = p0; p < p1; ++p)
    for (std::size_t oh = 0; oh < s.OH; ++oh)
      for (std::size_t ow = 0; ow < s.OW; ++ow) f(p, oh * s.OW + ow, window(s, oh, ow));
}
}  // namespace

void maxpool_forward(const float* x, float* y, std::int32_t* argmax, const PoolShape& s, std::size_t p0,
                     std::size_t p1) {
  const std::ptrdiff_t W = static_cast<std::ptrdiff_t>(s.W);
  for (std::size_t p = p0; p < p1; ++p) {
    const float* xp = x + p * s.H * s.W;
    float* yp = y + p * s.OH * s.OW;
    std::int32_t* ap = argmax + p * s.OH * s.OW;
    for (std::size_t oh = 0; oh < s.OH; ++oh) {
      for (std::size_t ow = 0; ow < s.OW; ++ow) {
        const Window win = window(s, oh, ow);
        // torch: the first maximum; a NaN replaces it (so the last NaN wins).
        float best = -std::numeric_limits<float>::infinity();
        std::ptrdiff_t at = win.h0 * W + win.w0;
        for (std::ptrdiff_t ih = win.h0; ih < win.h1; ++ih) {
          for (std::ptrdiff_t iw = win.w0; iw < win.w1; ++iw) {
            const float v = xp[ih * W + iw];
            if (v > best || std::isnan(v)) {
              best = v;
              at = ih * W + iw;
            }
          }
        }
        yp[oh * s.OW + ow] = best;
        ap[oh * s.OW + ow] = static_cast<std::int32_t>(at);
      }
    }
  }
}

void maxpool_backward(const float* dy, const std::int32_t* argmax, float* dx, const PoolShape& s, std::size_t p0,
                      std::size_t p1) {
  std::memset(dx + p0 * s.H * s.W, 0, (p1 - p0) * s.H * s.W * sizeof(float));
  for (std::size_t p = p0; p < p1; ++p) {
    const float* dyp = dy + p * s.OH * s.OW;
    const std::int32_t* ap = argmax + p * s.OH * s.OW;
    float* dxp = dx + p * s.H * s.W;
    for (std::size_t o = 0; o < s.OH * s.OW; ++o) dxp[ap[o]] += dyp[o];
  }
}

void avgpool_forward(const float* x, float* y, const PoolShape& s, std::size_t p0, std::size_t p1,
                     bool count_include_pad) {
  const std::ptrdiff_t W = static_cast<std::ptrdiff_t>(s.W);
  for_each_window(s, p0, p1, [&](std::size_t p, std::size_t o, const Window& win) {
    const float* xp = x + p * s.H * s.W;
    float acc = 0.0f;
    for (std::ptrdiff_t ih = win.h0; ih < win.h1; ++ih) {
      for (std::ptrdiff_t iw = win.w0; iw < win.w1; ++iw) acc += xp[ih * W + iw];
    }
    y[p * s.OH * s.OW + o] = acc / static_cast<float>(win.divisor(count_include_pad));
  });
}

void avgpool_backward(const float* dy, float* dx, const PoolShape& s, std::size_t p0, std::size_t p1,
                      bool count_include_pad) {
  const std::ptrdiff_t W = static_cast<std::ptrdiff_t>(s.W);
  std::memset(dx + p0 * s.H * s.W, 0, (p1 - p0) * s.H * s.W * sizeof(float));
  for_each_window(s, p0, p1, [&](std::size_t p, std::size_t o, const Window& win) {
    float* dxp = dx + p * s.H * s.W;
    const float g = dy[p * s.OH * s.OW + o] / static_cast<float>(win.divisor(count_include_pad));
    for (std::ptrdiff_t ih = win.h0; ih < win.h1; ++ih) {
      for (std::ptrdiff_t iw = win.w0; iw < win.w1; ++iw) dxp[ih * W + iw] += g;
    }
  });
}

}  // namespace conv_ref

const ConvKernels& conv_kernels_scalar() {
  static const ConvKernels table{"scalar",
                                 conv_ref::forward,
                                 conv_ref::backward_data,
                                 conv_ref::backward_filter,
                                 conv_ref::maxpool_forward,
                                 conv_ref::maxpool_backward,
                                 conv_ref::avgpool_forward,
                                 conv_ref::avgpool_backward};
  return table;
}

}  // namespace gw
