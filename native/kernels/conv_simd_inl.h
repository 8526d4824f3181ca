// conv: the generic fast path of every SIMD table, included inside the
// anonymous namespace of each ISA unit (conv_<isa>.cpp) after simd.h.
//
// Convolution as GEMM (im2col): per sample and group, the patches of the
// input are unfolded into col[C/g*kh*kw, OH*OW] (row (c*kh + i)*kw + j holds
// input (c, oh*sh - ph + i*dh, ow*sw - pw + j*dw), zero outside), then
//   forward          y[n,g]  = W_g[K/g, C/g*kh*kw] * col                  (+ bias, relu)
//   backward data    dcol    = W_g^T * dy[n,g], folded back (col2im, +=) into dx[n]
//   backward filter  dW_g   += dy[n,g] * col^T  over the samples of the call
// with the gemm driver (kernels/gemm.h: the ISA's packed micro-kernels). A 1x1
// convolution with unit stride and no padding needs no unfolding (col = x).
// Each call runs on one thread (the conv driver's chunk; gemm sees it is inside
// a parallel region and does not start threads of its own).

#if defined(GW_CONV_GENERIC_DEINTERLEAVE)
// Loads 2*V::W floats at p and splits them into even and odd elements (the pooling below), lane by lane.
void deinterleave(const float* p, V::F* even, V::F* odd) {
  float e[V::W], o[V::W];
  for (std::size_t l = 0; l < V::W; ++l) {
    e[l] = p[2 * l];
    o[l] = p[2 * l + 1];
  }
  *even = V::load(e);
  *odd = V::load(o);
}
#undef GW_CONV_GENERIC_DEINTERLEAVE
#endif

// Per-thread aligned scratch (core/scratch.h, included by the ISA unit outside the namespaces).
using ConvScratch = Scratch;

// [lo, hi): the outputs o in [0, out) whose input o*stride + off lies in [0, in).
inline void valid_range(std::size_t out, std::size_t stride, std::ptrdiff_t off, std::size_t in, std::size_t* lo,
                        std::size_t* hi) {
  const std::ptrdiff_t s = static_cast<std::ptrdiff_t>(stride);
  std::ptrdiff_t a = off >= 0 ? 0 : (-off + s - 1) / s;
  std::ptrdiff_t b = static_cast<std::ptrdiff_t>(in) - off <= 0 ? 0 : (static_cast<std::ptrdiff_t>(in) - off + s - 1) / s;
  a = std::min<std::ptrdiff_t>(a, static_cast<std::ptrdiff_t>(out));
  b = std::min<std::ptrdiff_t>(std::max(b, a), static_cast<std::ptrdiff_t>(out));
  *lo = static_cast<std::size_t>(a);
  *hi = static_cast<std::size_t>(b);
}

bool is_pointwise(const ConvShape& s) {
  return s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.ph == 0 && s.pw == 0;
}

// col[(c*kh + i)*kw + j][oh*OW + ow] for the cg channels at xg (one sample, one group).
void im2col(const float* xg, const ConvShape& s, float* col) {
  const std::size_t ohw = s.OH * s.OW;
  for (std::size_t c = 0; c < s.cg(); ++c) {
    const float* xc = xg + c * s.H * s.W;
    for (std::size_t i = 0; i < s.kh; ++i) {
      const std::ptrdiff_t hoff = static_cast<std::ptrdiff_t>(i * s.dh) - static_cast<std::ptrdiff_t>(s.ph);
      std::size_t oh0, oh1;
      valid_range(s.OH, s.sh, hoff, s.H, &oh0, &oh1);
      for (std::size_t j = 0; j < s.kw; ++j) {
        float* row = col + ((c * s.kh + i) * s.kw + j) * ohw;
        const std::ptrdiff_t woff = static_cast<std::ptrdiff_t>(j * s.dw) - static_cast<std::ptrdiff_t>(s.pw);
        std::size_t ow0, ow1;
        valid_range(s.OW, s.sw, woff, s.W, &ow0, &ow1);
        std::memset(row, 0, oh0 * s.OW * sizeof(float));
        for (std::size_t oh = oh0; oh < oh1; ++oh) {
          float* r = row + oh * s.OW;
          const float* xr = xc + static_cast<std::size_t>(static_cast<std::ptrdiff_t>(oh * s.sh) + hoff) * s.W;
          for (std::size_t ow = 0; ow < ow0; ++ow) r[ow] = 0.0f;
          if (s.sw == 1) {
            if (ow1 > ow0) std::memcpy(r + ow0, xr + static_cast<std::ptrdiff_t>(ow0) + woff, (ow1 - ow0) * sizeof(float));
          } else {
            for (std::size_t ow = ow0; ow < ow1; ++ow) r[ow] = xr[static_cast<std::ptrdiff_t>(ow * s.sw) + woff];
          }
          for (std::size_t ow = ow1; ow < s.OW; ++ow) r[ow] = 0.0f;
        }
        std::memset(row + oh1 * s.OW, 0, (s.OH - oh1) * s.OW * sizeof(float));
      }
    }
  }
}

// dxg (cg channels of one sample) += the patches of col folded back.
void col2im(const float* col, const ConvShape& s, float* dxg) {
  const std::size_t ohw = s.OH * s.OW;
  for (std::size_t c = 0; c < s.cg(); ++c) {
    float* dxc = dxg + c * s.H * s.W;
    for (std::size_t i = 0; i < s.kh; ++i) {
      const std::ptrdiff_t hoff = static_cast<std::ptrdiff_t>(i * s.dh) - static_cast<std::ptrdiff_t>(s.ph);
      std::size_t oh0, oh1;
      valid_range(s.OH, s.sh, hoff, s.H, &oh0, &oh1);
      for (std::size_t j = 0; j < s.kw; ++j) {
        const float* row = col + ((c * s.kh + i) * s.kw + j) * ohw;
        const std::ptrdiff_t woff = static_cast<std::ptrdiff_t>(j * s.dw) - static_cast<std::ptrdiff_t>(s.pw);
        std::size_t ow0, ow1;
        valid_range(s.OW, s.sw, woff, s.W, &ow0, &ow1);
        for (std::size_t oh = oh0; oh < oh1; ++oh) {
          const float* r = row + oh * s.OW;
          float* dr = dxc + static_cast<std::size_t>(static_cast<std::ptrdiff_t>(oh * s.sh) + hoff) * s.W;
          if (s.sw == 1) {
            float* d = dr + static_cast<std::ptrdiff_t>(ow0) + woff;
            for (std::size_t ow = ow0; ow < ow1; ++ow) d[ow - ow0] += r[ow];
          } else {
            for (std::size_t ow = ow0; ow < ow1; ++ow) dr[static_cast<std::ptrdiff_t>(ow * s.sw) + woff] += r[ow];
          }
        }
      }
    }
  }
}

// y = act(y + bias[k]) over the rows of one sample.
void bias_relu(float* yn, const float* bias, std::size_t K, std::size_t ohw, bool relu) {
  if (!bias && !relu) return;
  for (std::size_t k = 0; k < K; ++k) {
    float* r = yn + k * ohw;
    const typename V::F b = V::set1(bias ? bias[k] : 0.0f);
    const typename V::F z = V::zero();
    std::size_t t = 0;
    for (; t + V::W <= ohw; t += V::W) {
      typename V::F v = V::add(V::load(r + t), b);
      if (relu) v = V::max(v, z);
      V::store(r + t, v);
    }
    for (; t < ohw; ++t) {
      float v = r[t] + (bias ? bias[k] : 0.0f);
      if (relu && v < 0.0f) v = 0.0f;
      r[t] = v;
    }
  }
}

// This thread's im2col buffer for s (reused across calls), or null for a pointwise conv (no unfolding).
inline float* col_scratch(const ConvShape& s) {
  static thread_local ConvScratch col_buf;
  return is_pointwise(s) ? nullptr : col_buf.get(s.ckk() * s.OH * s.OW);
}

// One group's image as the GEMM operand: itself for a pointwise conv (col null), else its im2col patches in col.
inline const float* patches(const float* xg, const ConvShape& s, float* col) {
  if (!col) return xg;
  im2col(xg, s, col);
  return col;
}

void gemm_forward(const float* x, const float* w, const float* bias, float* y, const ConvShape& s, std::size_t n0,
                  std::size_t n1, bool relu) {
  const std::size_t ohw = s.OH * s.OW, ckk = s.ckk(), kg = s.kg();
  float* col = col_scratch(s);
  for (std::size_t n = n0; n < n1; ++n) {
    float* yn = y + n * s.K * ohw;
    for (std::size_t g = 0; g < s.groups; ++g) {
      const float* b = patches(x + (n * s.C + g * s.cg()) * s.H * s.W, s, col);
      sgemm(false, false, kg, ohw, ckk, 1.0f, w + g * kg * ckk, ckk, b, ohw, 0.0f, yn + g * kg * ohw, ohw);
    }
    bias_relu(yn, bias, s.K, ohw, relu);
  }
}

void gemm_backward_data(const float* dy, const float* w, float* dx, const ConvShape& s, std::size_t n0,
                        std::size_t n1) {
  const std::size_t ohw = s.OH * s.OW, ckk = s.ckk(), kg = s.kg();
  float* col = col_scratch(s);
  for (std::size_t n = n0; n < n1; ++n) {
    float* dxn = dx + n * s.C * s.H * s.W;
    if (col) std::memset(dxn, 0, s.C * s.H * s.W * sizeof(float));
    for (std::size_t g = 0; g < s.groups; ++g) {
      const float* dyg = dy + (n * s.K + g * kg) * ohw;
      float* dxg = dxn + g * s.cg() * s.H * s.W;
      sgemm(true, false, ckk, ohw, kg, 1.0f, w + g * kg * ckk, ckk, dyg, ohw, 0.0f, col ? col : dxg, ohw);
      if (col) col2im(col, s, dxg);
    }
  }
}

void gemm_backward_filter(const float* x, const float* dy, float* dw, const ConvShape& s, std::size_t n0,
                          std::size_t n1) {
  const std::size_t ohw = s.OH * s.OW, ckk = s.ckk(), kg = s.kg();
  float* col = col_scratch(s);
  if (n0 == n1) std::memset(dw, 0, s.K * ckk * sizeof(float));
  for (std::size_t n = n0; n < n1; ++n) {
    for (std::size_t g = 0; g < s.groups; ++g) {
      const float* b = patches(x + (n * s.C + g * s.cg()) * s.H * s.W, s, col);
      sgemm(false, true, kg, ckk, ohw, 1.0f, dy + (n * s.K + g * kg) * ohw, ohw, b, ohw, n == n0 ? 0.0f : 1.0f,
            dw + g * kg * ckk, ckk);
    }
  }
}

// One output row of a 2x2, column-stride-2 max pool over the interior: n outputs from
// input rows h0, h0+1 starting at column w0, V::W outputs at a time with lane selects (the
// comparisons are unpredictable: branches would mispredict). deinterleave(p, &even, &odd)
// (defined by the ISA unit before this file) loads 2*V::W floats and splits them.
// Indices ride in float lanes (exact: the binding keeps planes below 2^24 elements here).
void maxpool_row_2x2(const float* xp, std::size_t W, std::size_t h0, std::size_t w0, std::size_t n, float* y,
                     std::int32_t* am) {
  using F = typename V::F;
  constexpr std::size_t L = V::W;
  const float* r0 = xp + h0 * W + w0;
  const float* r1 = r0 + W;
  const std::int32_t base = static_cast<std::int32_t>(h0 * W + w0), wi = static_cast<std::int32_t>(W);
  float lane2[L];
  for (std::size_t l = 0; l < L; ++l) lane2[l] = static_cast<float>(2 * l);
  const F step2 = V::load(lane2);
  float t0[2 * L], t1[2 * L], yt[L], af[L];
  for (std::size_t o = 0; o < n; o += L) {
    const std::size_t m = std::min(L, n - o);
    const float* q0 = r0 + 2 * o;
    const float* q1 = r1 + 2 * o;
    if (m < L) {  // the row's tail: through zero-filled copies, so the loads stay inside the buffers
      for (std::size_t t = 0; t < 2 * L; ++t) {
        t0[t] = t < 2 * m ? q0[t] : 0.0f;
        t1[t] = t < 2 * m ? q1[t] : 0.0f;
      }
      q0 = t0;
      q1 = t1;
    }
    F v0, v1, v2, v3;
    deinterleave(q0, &v0, &v1);
    deinterleave(q1, &v2, &v3);
    const F i0 = V::add(V::set1(static_cast<float>(base + 2 * static_cast<std::int32_t>(o))), step2);
    F b = v0, a = i0;  // v0 > -inf, or NaN: taken either way
    const F vs[3] = {v1, v2, v3};
    const F is[3] = {V::add(i0, V::set1(1.0f)), V::add(i0, V::set1(static_cast<float>(wi))),
                     V::add(i0, V::set1(static_cast<float>(wi + 1)))};
    for (int t = 0; t < 3; ++t) {
      const auto num = V::eq(vs[t], vs[t]);  // false for NaN: a NaN is taken
      const auto gt = V::gt(vs[t], b);
      b = V::select(num, V::select(gt, vs[t], b), vs[t]);
      a = V::select(num, V::select(gt, is[t], a), is[t]);
    }
    V::store(af, a);
    if (m == L) {
      V::store(y + o, b);
    } else {
      V::store(yt, b);
      for (std::size_t l = 0; l < m; ++l) y[o + l] = yt[l];
    }
    for (std::size_t l = 0; l < m; ++l) am[o + l] = static_cast<std::int32_t>(af[l]);
  }
}

// Max pooling with a fast interior: outputs whose window lies wholly inside the plane
// skip the clipping (2x2 windows unrolled); border outputs use the reference. The scan
// order and the rule (the first maximum; a NaN replaces it) are the reference's.
void fast_maxpool_forward(const float* x, float* y, std::int32_t* argmax, const PoolShape& s, std::size_t p0,
                          std::size_t p1) {
  // Interior outputs: oh*sh - ph >= 0 and oh*sh - ph + kh <= H (likewise ow).
  std::size_t oh0, oh1, ow0, ow1;
  valid_range(s.OH, s.sh, -static_cast<std::ptrdiff_t>(s.ph), s.H + 1 - s.kh, &oh0, &oh1);
  valid_range(s.OW, s.sw, -static_cast<std::ptrdiff_t>(s.pw), s.W + 1 - s.kw, &ow0, &ow1);
  const bool border = oh0 > 0 || oh1 < s.OH || ow0 > 0 || ow1 < s.OW;
  if (border) conv_ref::maxpool_forward(x, y, argmax, s, p0, p1);  // borders (and, overwritten below, the interior)
  const std::size_t W = s.W;
  const bool rows2 = s.kh == 2 && s.kw == 2 && s.sw == 2 && s.H * s.W < (std::size_t{1} << 24);
  for (std::size_t p = p0; p < p1; ++p) {
    const float* xp = x + p * s.H * W;
    float* yp = y + p * s.OH * s.OW;
    std::int32_t* ap = argmax + p * s.OH * s.OW;
    for (std::size_t oh = oh0; oh < oh1; ++oh) {
      const std::size_t h0 = oh * s.sh - s.ph;
      if (rows2) {
        maxpool_row_2x2(xp, W, h0, ow0 * 2 - s.pw, ow1 - ow0, yp + oh * s.OW + ow0, ap + oh * s.OW + ow0);
        continue;
      }
      for (std::size_t ow = ow0; ow < ow1; ++ow) {
        const std::size_t w0 = ow * s.sw - s.pw;
        float best = -std::numeric_limits<float>::infinity();
        std::size_t at = h0 * W + w0;
        if (s.kh == 2 && s.kw == 2) {
          const std::size_t i0 = h0 * W + w0, i2 = i0 + W;
          const float v0 = xp[i0], v1 = xp[i0 + 1], v2 = xp[i2], v3 = xp[i2 + 1];
          // Branch-free selects through bit masks: on real data the comparisons are
          // unpredictable, and compilers keep `?:` on floats as branches.
          std::uint32_t bb, at32 = static_cast<std::uint32_t>(i0);
          std::memcpy(&bb, &v0, 4);  // v0 > -inf, or NaN: either way it is taken
          float cur = v0;
          const float vs[3] = {v1, v2, v3};
          const std::uint32_t is[3] = {static_cast<std::uint32_t>(i0 + 1), static_cast<std::uint32_t>(i2),
                                       static_cast<std::uint32_t>(i2 + 1)};
          for (int t = 0; t < 3; ++t) {
            const float v = vs[t];
            const std::uint32_t m = 0u - static_cast<std::uint32_t>((v > cur) | (v != v));
            std::uint32_t vb;
            std::memcpy(&vb, &v, 4);
            bb = (bb & ~m) | (vb & m);
            at32 = (at32 & ~m) | (is[t] & m);
            std::memcpy(&cur, &bb, 4);
          }
          best = cur;
          at = at32;
        } else {
          for (std::size_t i = 0; i < s.kh; ++i) {
            const float* r = xp + (h0 + i) * W + w0;
            for (std::size_t j = 0; j < s.kw; ++j) {
              const float v = r[j];
              if (v > best || v != v) { best = v; at = (h0 + i) * W + w0 + j; }
            }
          }
        }
        yp[oh * s.OW + ow] = best;
        ap[oh * s.OW + ow] = static_cast<std::int32_t>(at);
      }
    }
  }
}

ConvKernels make_conv_table(const char* isa) {
  return ConvKernels{isa,
                     gemm_forward,
                     gemm_backward_data,
                     gemm_backward_filter,
                     fast_maxpool_forward,
                     conv_ref::maxpool_backward,
                     conv_ref::avgpool_forward,
                     conv_ref::avgpool_backward};
}
