// conv: direct (implicit-GEMM) kernels over the vector type V, included inside the
// anonymous namespace of an ISA unit after simd.h and conv_simd_inl.h.
//
// One register-blocked micro-kernel serves all three passes. It keeps an
// MV-vector x NP tile of accumulators (MV*V::W output channels by NP columns)
// and, per reduction step s, loads MV vectors of a packed panel a[s] and
// broadcasts one float from each of NP base pointers at the step's offset:
//   acc[v][q] += a[s][v] * bq[q][off[s]]
//   forward / backward data: a = weights packed [s = (c, i, j)][k], bq[q] = the
//     zero-padded input at output position q, off[s] = the tap's offset in it;
//   backward filter: a = dy transposed [s = position][k], bq[q] = the padded
//     input at tap q, off[s] = the position's offset.
// No patch matrix is materialised; only a zero-padded copy of one sample.
// Backward data (stride 1) is the forward pass over dy with the kernel
// flipped and its in/out channels swapped, padding dil*(k-1) - pad.
// Summation order is fixed by the shape, so results are thread-count independent.

#if defined(__GNUC__)
#define GW_TILE_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define GW_TILE_INLINE __forceinline
#else
#define GW_TILE_INLINE inline
#endif

// The micro-kernels' accumulators at the start: the tile stored at out (accumulate) or zeros.
template <int MV, int NP>
GW_TILE_INLINE void load_tile(typename V::F (&acc)[MV][NP], const float* out, bool accumulate) {
  constexpr std::size_t L = V::W;
  if (accumulate) {
    for (int q = 0; q < NP; ++q)
      for (int v = 0; v < MV; ++v) acc[v][q] = V::load(out + (q * MV + v) * L);
  } else {
    for (int q = 0; q < NP; ++q)
      for (int v = 0; v < MV; ++v) acc[v][q] = V::zero();
  }
}

template <int MV, int NP>
void direct_tile(std::size_t steps, const float* a, std::size_t a_stride, const float* const* bq, const std::int32_t* off,
                 float* out, bool accumulate) {
  using F = typename V::F;
  constexpr std::size_t L = V::W;
  F acc[MV][NP];
  const float* p[NP];
  for (int q = 0; q < NP; ++q) p[q] = bq[q];
  load_tile<MV, NP>(acc, out, accumulate);
  for (std::size_t s = 0; s < steps; ++s) {
    const std::ptrdiff_t o = off[s];
    F av[MV];
    for (int v = 0; v < MV; ++v) av[v] = V::load(a + s * a_stride + v * L);
    for (int q = 0; q < NP; ++q) {
      const F b = V::set1(p[q][o]);
      for (int v = 0; v < MV; ++v) acc[v][q] = V::fma(av[v], b, acc[v][q]);
    }
  }
  for (int q = 0; q < NP; ++q)
    for (int v = 0; v < MV; ++v) V::store(out + (q * MV + v) * L, acc[v][q]);
}

// As direct_tile, for NP consecutive output positions of one row at unit column stride:
// the broadcasts are b0[off[s] + q], one base register with constant displacements
// (NP pointers would not fit the general registers on x86).
template <int MV, int NP>
void direct_tile_row(std::size_t steps, const float* a, std::size_t a_stride, const float* b0, const std::int32_t* off,
                     float* out, bool accumulate) {
  using F = typename V::F;
  constexpr std::size_t L = V::W;
  F acc[MV][NP];
  load_tile<MV, NP>(acc, out, accumulate);
  for (std::size_t s = 0; s < steps; ++s) {
    const float* b = b0 + off[s];
    F av[MV];
    for (int v = 0; v < MV; ++v) av[v] = V::load(a + s * a_stride + v * L);
    for (int q = 0; q < NP; ++q) {
      const F bv = V::set1(b[q]);
      for (int v = 0; v < MV; ++v) acc[v][q] = V::fma(av[v], bv, acc[v][q]);
    }
  }
  for (int q = 0; q < NP; ++q)
    for (int v = 0; v < MV; ++v) V::store(out + (q * MV + v) * L, acc[v][q]);
}

using DirectRowFn = void (*)(std::size_t, const float*, std::size_t, const float*, const std::int32_t*, float*, bool);

using DirectTileFn = void (*)(std::size_t, const float*, std::size_t, const float* const*, const std::int32_t*, float*,
                              bool);

struct DirectPlan {
  int mv, np;
  DirectTileFn tile;
  DirectRowFn row = nullptr;  // an mv x np tile over one row's consecutive positions (forward passes)
  int npg = 0;                // the general tile's columns when it differs from np (0: np)
  std::size_t general_np() const { return static_cast<std::size_t>(npg ? npg : np); }
  std::size_t lanes() const { return static_cast<std::size_t>(mv) * V::W; }  // output channels per tile
};

// The register tile for `m` output channels (32 registers on AVX-512 and NEON, 16 on AVX2).
// At most 8 broadcast pointers on x86 (16 general registers: more spill in the inner loop).
DirectPlan direct_plan(std::size_t m) {
  if (V::W == 16) {
    if (m > 32) return {4, 6, direct_tile<4, 6>};
    if (m > 16) return {2, 8, direct_tile<2, 8>};
    return {1, 8, direct_tile<1, 8>};
  }
  if (V::W == 8) {
    if (m > 8) return {2, 6, direct_tile<2, 6>};
    return {1, 8, direct_tile<1, 8>};
  }
  if (m > 8) return {4, 6, direct_tile<4, 6>};
  return {2, 12, direct_tile<2, 12>};
}

// The register tile of the forward passes (positions as columns): row tiles where they fit.
// Measured on the MNIST CNN's conv2 (AVX-512, CPU time): 2x14 row tiles 14.4 ms, 4x6 general 16.0 ms.
DirectPlan forward_plan(std::size_t m) {
  if (V::W == 16) {
    if (m > 16) return {2, 14, direct_tile<2, 8>, direct_tile_row<2, 14>, 8};
    return {1, 14, direct_tile<1, 8>, direct_tile_row<1, 14>, 8};
  }
  if (V::W == 8) {
    if (m > 8) return {2, 6, direct_tile<2, 6>, direct_tile_row<2, 6>};
    return {1, 8, direct_tile<1, 8>, direct_tile_row<1, 8>};
  }
  if (m > 8) return {4, 6, direct_tile<4, 6>, direct_tile_row<4, 6>};
  return {2, 12, direct_tile<2, 12>, direct_tile_row<2, 12>};
}

// The geometry of one direct pass: input [C, H, W] of one sample, M outputs channels.
struct DirectGeo {
  std::size_t C, H, W, M, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW;
  std::size_t HP() const { return H + 2 * ph; }
  std::size_t WP() const { return W + 2 * pw; }
  std::size_t ckk() const { return C * kh * kw; }
};

// xp[C, HP, WP] = x zero-padded.
void pad_input(const float* x, const DirectGeo& g, float* xp) {
  const std::size_t HP = g.HP(), WP = g.WP();
  for (std::size_t c = 0; c < g.C; ++c) {
    float* d = xp + c * HP * WP;
    std::memset(d, 0, g.ph * WP * sizeof(float));
    for (std::size_t h = 0; h < g.H; ++h) {
      float* r = d + (g.ph + h) * WP;
      for (std::size_t t = 0; t < g.pw; ++t) r[t] = 0.0f;
      std::memcpy(r + g.pw, x + (c * g.H + h) * g.W, g.W * sizeof(float));
      for (std::size_t t = g.pw + g.W; t < WP; ++t) r[t] = 0.0f;
    }
    std::memset(d + (g.ph + g.H) * WP, 0, g.ph * WP * sizeof(float));
  }
}

// The taps' offsets in the padded input, s = (c*kh + i)*kw + j.
void tap_offsets(const DirectGeo& g, std::int32_t* coff) {
  const std::size_t HP = g.HP(), WP = g.WP();
  for (std::size_t c = 0; c < g.C; ++c)
    for (std::size_t i = 0; i < g.kh; ++i)
      for (std::size_t j = 0; j < g.kw; ++j)
        coff[(c * g.kh + i) * g.kw + j] = static_cast<std::int32_t>(c * HP * WP + i * g.dh * WP + j * g.dw);
}

// The output positions' offsets in the padded input, p = oh*OW + ow.
void position_offsets(const DirectGeo& g, std::int32_t* poff) {
  const std::size_t WP = g.WP();
  for (std::size_t oh = 0; oh < g.OH; ++oh)
    for (std::size_t ow = 0; ow < g.OW; ++ow)
      poff[oh * g.OW + ow] = static_cast<std::int32_t>(oh * g.sh * WP + ow * g.sw);
}

// wp[block][s][lanes] = w(k = block*lanes + lane, s), zero for k >= M; w(k, s) = w[k*ckk + s]
// (or, flipped for backward data, taken by the caller's accessor).
template <class Get>
void pack_weights(const DirectPlan& plan, std::size_t M, std::size_t ckk, Get get, float* wp) {
  const std::size_t lanes = plan.lanes(), blocks = (M + lanes - 1) / lanes;
  for (std::size_t b = 0; b < blocks; ++b)
    for (std::size_t s = 0; s < ckk; ++s)
      for (std::size_t l = 0; l < lanes; ++l) {
        const std::size_t k = b * lanes + l;
        wp[(b * ckk + s) * lanes + l] = k < M ? get(k, s) : 0.0f;
      }
}

struct DirectScratch {
  ConvScratch xpad, wpack, tile;
  std::vector<std::int32_t> coff, poff;
};

// Input channels per reduction block of the forward pass: the block's packed weights
// (channels * kh * kw * lanes floats, every output block) stay in L1 while the
// position tiles run over them.
std::size_t channel_block(const DirectGeo& g, std::size_t weights_per_channel) {
  const std::size_t target = std::size_t{32} << 10;  // bytes
  return std::max<std::size_t>(1, std::min(g.C, target / std::max<std::size_t>(1, weights_per_channel * sizeof(float))));
}

// y[M, OH, OW] = act(conv(x[C, H, W]) + bias) for one sample, with packed weights wp.
void direct_forward_sample(const float* x, const float* wp, const float* bias, float* y, const DirectGeo& g,
                           const DirectPlan& plan, bool relu, DirectScratch& sc) {
  const std::size_t ckk = g.ckk(), kk = g.kh * g.kw, npos = g.OH * g.OW, lanes = plan.lanes();
  const std::size_t np = static_cast<std::size_t>(plan.np);
  const std::size_t blocks = (g.M + lanes - 1) / lanes, pblocks = (npos + np - 1) / np;
  const std::size_t cb = channel_block(g, kk * lanes * blocks);
  float* xp = sc.xpad.get(g.C * g.HP() * g.WP());
  pad_input(x, g, xp);
  // Each position block holds np columns, rounded up to whole general tiles.
  const std::size_t npg = plan.general_np(), qstride = (np + npg - 1) / npg * npg;
  float* tiles = sc.tile.get(pblocks * blocks * qstride * lanes);  // [position block][output block][q][lane]
  const float* bq[32];
  for (std::size_t c0 = 0; c0 < g.C; c0 += cb) {
    const std::size_t steps = std::min(cb, g.C - c0) * kk;
    const std::int32_t* coff = sc.coff.data() + c0 * kk;
    for (std::size_t pb = 0; pb < pblocks; ++pb) {
      const std::size_t p0 = pb * np, pn = std::min(np, npos - p0);
      const bool row = plan.row && g.sw == 1 && pn == np && p0 % g.OW + np <= g.OW;
      if (!row) {
        for (std::size_t q = 0; q < qstride; ++q) bq[q] = xp + sc.poff[p0 + std::min(q, pn - 1)];
      }
      for (std::size_t b = 0; b < blocks; ++b) {
        const float* a = wp + (b * ckk + c0 * kk) * lanes;
        float* out = tiles + (pb * blocks + b) * qstride * lanes;
        if (row) {
          plan.row(steps, a, lanes, xp + sc.poff[p0], coff, out, c0 != 0);
        } else {
          for (std::size_t q0 = 0; q0 < np; q0 += npg) plan.tile(steps, a, lanes, bq + q0, coff, out + q0 * lanes, c0 != 0);
        }
      }
    }
  }
  for (std::size_t pb = 0; pb < pblocks; ++pb) {
    const std::size_t p0 = pb * np, pn = std::min(np, npos - p0);
    for (std::size_t b = 0; b < blocks; ++b) {
      const float* tile = tiles + (pb * blocks + b) * qstride * lanes;
      const std::size_t kn = std::min(lanes, g.M - b * lanes);
      for (std::size_t l = 0; l < kn; ++l) {
        const std::size_t k = b * lanes + l;
        const float bk = bias ? bias[k] : 0.0f;
        float* yk = y + k * npos + p0;
        for (std::size_t q = 0; q < pn; ++q) {
          float v = tile[q * lanes + l] + bk;
          if (relu && v < 0.0f) v = 0.0f;
          yk[q] = v;
        }
      }
    }
  }
}

DirectGeo forward_geo(const ConvShape& s) {
  return {s.C, s.H, s.W, s.K, s.kh, s.kw, s.sh, s.sw, s.ph, s.pw, s.dh, s.dw, s.OH, s.OW};
}

void prepare_offsets(const DirectGeo& g, DirectScratch& sc) {
  sc.coff.resize(g.ckk());
  sc.poff.resize(g.OH * g.OW);
  tap_offsets(g, sc.coff.data());
  position_offsets(g, sc.poff.data());
}

// The packed-weight direct convolution of samples [n0, n1): in and out advance by their per-sample sizes.
void direct_forward_samples(const float* in, std::size_t in_size, const float* wp, const float* bias, float* out,
                            std::size_t out_size, const DirectGeo& g, const DirectPlan& plan, bool relu, DirectScratch& sc,
                            std::size_t n0, std::size_t n1) {
  prepare_offsets(g, sc);
  for (std::size_t n = n0; n < n1; ++n) direct_forward_sample(in + n * in_size, wp, bias, out + n * out_size, g, plan, relu, sc);
}

void direct_forward(const float* x, const float* w, const float* bias, float* y, const ConvShape& s, std::size_t n0,
                    std::size_t n1, bool relu) {
  static thread_local DirectScratch sc;
  const DirectGeo g = forward_geo(s);
  const DirectPlan plan = forward_plan(g.M);
  const std::size_t ckk = g.ckk(), lanes = plan.lanes();
  float* wp = sc.wpack.get(((g.M + lanes - 1) / lanes) * lanes * ckk);
  pack_weights(plan, g.M, ckk, [&](std::size_t k, std::size_t t) { return w[k * ckk + t]; }, wp);
  direct_forward_samples(x, s.C * s.H * s.W, wp, bias, y, s.K * s.OH * s.OW, g, plan, relu, sc, n0, n1);
}

// Backward data, stride 1: dx = conv(dy, w flipped and transposed), padding dil*(k-1) - pad.
void direct_backward_data(const float* dy, const float* w, float* dx, const ConvShape& s, std::size_t n0,
                          std::size_t n1) {
  static thread_local DirectScratch sc;
  const DirectGeo g{s.K, s.OH, s.OW, s.C, s.kh, s.kw, 1, 1, s.dh * (s.kh - 1) - s.ph, s.dw * (s.kw - 1) - s.pw,
                    s.dh, s.dw, s.H, s.W};
  const DirectPlan plan = forward_plan(g.M);
  const std::size_t ckk = g.ckk(), lanes = plan.lanes(), kk = s.kh * s.kw, wck = s.C * kk;
  float* wp = sc.wpack.get(((g.M + lanes - 1) / lanes) * lanes * ckk);
  // w2(c, (k*kh + i)*kw + j) = w[k, c, kh-1-i, kw-1-j]
  const std::size_t blocks = (g.M + lanes - 1) / lanes;
  for (std::size_t b = 0; b < blocks; ++b)
    for (std::size_t k = 0; k < s.K; ++k)
      for (std::size_t ij = 0; ij < kk; ++ij) {
        float* d = wp + (b * ckk + k * kk + ij) * lanes;
        for (std::size_t l = 0; l < lanes; ++l) {
          const std::size_t c = b * lanes + l;
          d[l] = c < g.M ? w[k * wck + c * kk + (kk - 1 - ij)] : 0.0f;
        }
      }
  direct_forward_samples(dy, s.K * s.OH * s.OW, wp, nullptr, dx, s.C * s.H * s.W, g, plan, false, sc, n0, n1);
}

// dw[K, ckk] = sum over samples [n0, n1) and positions of dy[k, p] * xpad[tap + poff[p]].
void direct_backward_filter(const float* x, const float* dy, float* dw, const ConvShape& s, std::size_t n0,
                            std::size_t n1) {
  static thread_local DirectScratch sc;
  static thread_local ConvScratch dyt_buf, acc_buf;
  const DirectGeo g = forward_geo(s);
  const DirectPlan plan = direct_plan(g.M);
  const std::size_t ckk = g.ckk(), npos = g.OH * g.OW, lanes = plan.lanes(), np = static_cast<std::size_t>(plan.np);
  const std::size_t blocks = (g.M + lanes - 1) / lanes, tap_blocks = (ckk + np - 1) / np;
  prepare_offsets(g, sc);
  float* xp = sc.xpad.get(g.C * g.HP() * g.WP());
  float* dyt = dyt_buf.get(blocks * npos * lanes);
  float* acc = acc_buf.get(blocks * tap_blocks * np * lanes);  // [block][tap block][q][lane]
  const float* bq[16];
  for (std::size_t n = n0; n < n1; ++n) {
    pad_input(x + n * s.C * s.H * s.W, g, xp);
    const float* dyn = dy + n * s.K * npos;
    for (std::size_t b = 0; b < blocks; ++b)  // dyt[b][p][l] = dy[b*lanes + l, p]
      for (std::size_t l = 0; l < lanes; ++l) {
        const std::size_t k = b * lanes + l;
        float* d = dyt + b * npos * lanes + l;
        if (k < g.M) {
          const float* r = dyn + k * npos;
          for (std::size_t p = 0; p < npos; ++p) d[p * lanes] = r[p];
        } else {
          for (std::size_t p = 0; p < npos; ++p) d[p * lanes] = 0.0f;
        }
      }
    // All positions per tile: blocking them (16 or 32 KB slices of dyt) measured 3-10% slower.
    const std::size_t pstep = npos;
    for (std::size_t ps = 0; ps < npos; ps += pstep) {
      const std::size_t pn = std::min(pstep, npos - ps);
      for (std::size_t tb = 0; tb < tap_blocks; ++tb) {
        const std::size_t t0 = tb * np, tn = std::min(np, ckk - t0);
        for (std::size_t q = 0; q < np; ++q) bq[q] = xp + sc.coff[t0 + std::min(q, tn - 1)];
        for (std::size_t b = 0; b < blocks; ++b) {
          plan.tile(pn, dyt + (b * npos + ps) * lanes, lanes, bq, sc.poff.data() + ps,
                    acc + (b * tap_blocks + tb) * np * lanes, n != n0 || ps != 0);
        }
      }
    }
  }
  for (std::size_t b = 0; b < blocks; ++b)
    for (std::size_t tb = 0; tb < tap_blocks; ++tb) {
      const float* a = acc + (b * tap_blocks + tb) * np * lanes;
      const std::size_t t0 = tb * np, tn = std::min(np, ckk - t0), kn = std::min(lanes, g.M - b * lanes);
      for (std::size_t l = 0; l < kn; ++l)
        for (std::size_t q = 0; q < tn; ++q) dw[(b * lanes + l) * ckk + t0 + q] = n0 == n1 ? 0.0f : a[q * lanes + l];
    }
}

// Where the direct kernels apply (else the im2col + gemm path): one group; offsets fit int32;
// backward data also needs stride 1 and padding at most dil*(k-1).
bool direct_ok(const ConvShape& s) {
  const std::size_t padded = s.C * (s.H + 2 * s.ph) * (s.W + 2 * s.pw);
  return s.groups == 1 && padded < (std::size_t{1} << 30);
}
bool direct_data_ok(const ConvShape& s) {
  return direct_ok(s) && s.sh == 1 && s.sw == 1 && s.ph <= s.dh * (s.kh - 1) && s.pw <= s.dw * (s.kw - 1) &&
         s.K * (s.OH + 2 * (s.dh * (s.kh - 1) - s.ph)) * (s.OW + 2 * (s.dw * (s.kw - 1) - s.pw)) < (std::size_t{1} << 30);
}

// Measured (bench/conv.mjs): the direct tile pays when it fills at least half its lanes with
// output channels and its reduction is long enough to amortise the tile's load and store;
// conv1 of the MNIST CNN (1 input channel, 25 taps) is faster as im2col + gemm.
bool direct_worth(std::size_t m, std::size_t steps) { return 2 * m >= V::W && steps >= 64; }

void fast_forward(const float* x, const float* w, const float* bias, float* y, const ConvShape& s, std::size_t n0,
                  std::size_t n1, bool relu) {
  if (direct_ok(s) && direct_worth(s.K, s.ckk())) {
    direct_forward(x, w, bias, y, s, n0, n1, relu);
  } else {
    gemm_forward(x, w, bias, y, s, n0, n1, relu);
  }
}

void fast_backward_data(const float* dy, const float* w, float* dx, const ConvShape& s, std::size_t n0, std::size_t n1) {
  if (direct_data_ok(s) && direct_worth(s.C, s.K * s.kh * s.kw)) {
    direct_backward_data(dy, w, dx, s, n0, n1);
  } else {
    gemm_backward_data(dy, w, dx, s, n0, n1);
  }
}

void fast_backward_filter(const float* x, const float* dy, float* dw, const ConvShape& s, std::size_t n0,
                          std::size_t n1) {
  // conv1 of the MNIST CNN (25 taps): im2col + gemm measured 3.8 ms against 4.7-5.0 direct (CPU, AVX-512).
  if (direct_ok(s) && 2 * s.K >= V::W && s.ckk() >= 64) {
    direct_backward_filter(x, dy, dw, s, n0, n1);
  } else {
    gemm_backward_filter(x, dy, dw, s, n0, n1);
  }
}

ConvKernels make_conv_table_direct(const char* isa) {
  ConvKernels t = make_conv_table(isa);
  t.forward = fast_forward;
  t.backward_data = fast_backward_data;
  t.backward_filter = fast_backward_filter;
  return t;
}
