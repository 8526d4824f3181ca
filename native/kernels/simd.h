// The one thin SIMD layer of the float kernels: one struct V per ISA with the
// operations the generic kernels use (activations_simd.h, norms_simd_inl.h,
// losses_simd_inl.h, optim_simd.h). Include it INSIDE an anonymous namespace of an ISA
// translation unit (internal linkage: the same names compiled with different
// flags must never meet at link time), after <immintrin.h> or <arm_neon.h>,
// with exactly one of GW_VEC_SSE2, GW_VEC_AVX2, GW_VEC_AVX512, GW_VEC_NEON defined.
//
//   select_lt(a, b, x, y) = a < b ? x : y      (lanewise)
//   round(x)              = nearest integer, ties to even
//   pow2i(n)              = 2^n for integer-valued n in [-126, 127]
//   frexp(x, &e)          = mantissa in [0.5, 1) with x = m * 2^e, for normal x > 0
//   hsum_d(v)             = sum of the lanes, added in double
//   fmadd(a, b, c)        = a*b + c (fused where the ISA has FMA; sse2: mul then add), also fma
//   fnmadd(a, b, c)       = c - a*b
//   sign(x)               = -1, 0 or 1 (0 for NaN)
//   clamp(v, lo, hi)      = min(hi, max(lo, v)), NaN stays NaN
//   M, gt/ge/lt/eq, select(m, a, b), any(m): lane masks
//   min_num/max_num       = min/max returning the number when one operand is NaN (x86: as min/max)
//   round_small(x)        = nearest integer for |x| < 2^22 (sse2: the 1.5*2^23 trick)
//   recip(x)              = 1/x (avx512: 14-bit estimate + one Newton step)
//   reduce_add/reduce_max = float reductions in the activations' order
// Aliases for the optimizer and activation kernels: T = F, kWidth = W, pow2n = pow2i.

#if defined(GW_VEC_SSE2)
struct V {
  using F = __m128;
  static constexpr std::size_t W = 4;
  static F load(const float* p) { return _mm_loadu_ps(p); }
  static void store(float* p, F v) { _mm_storeu_ps(p, v); }
  static F set1(float v) { return _mm_set1_ps(v); }
  static F zero() { return _mm_setzero_ps(); }
  static F add(F a, F b) { return _mm_add_ps(a, b); }
  static F sub(F a, F b) { return _mm_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm_mul_ps(a, b); }
  static F div(F a, F b) { return _mm_div_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
  static F max(F a, F b) { return _mm_max_ps(a, b); }
  static F min(F a, F b) { return _mm_min_ps(a, b); }
  static F abs(F a) { return _mm_andnot_ps(_mm_set1_ps(-0.0f), a); }
  static F select_lt(F a, F b, F x, F y) {
    const F m = _mm_cmplt_ps(a, b);
    return _mm_or_ps(_mm_and_ps(m, x), _mm_andnot_ps(m, y));
  }
  static F round(F x) { return _mm_cvtepi32_ps(_mm_cvtps_epi32(x)); }  // MXCSR default: nearest even
  static F pow2i(F n) { return _mm_castsi128_ps(_mm_slli_epi32(_mm_add_epi32(_mm_cvtps_epi32(n), _mm_set1_epi32(127)), 23)); }
  static F frexp(F x, F* e) {
    const __m128i i = _mm_castps_si128(x);
    *e = _mm_cvtepi32_ps(_mm_sub_epi32(_mm_srli_epi32(i, 23), _mm_set1_epi32(126)));
    return _mm_castsi128_ps(_mm_or_si128(_mm_and_si128(i, _mm_set1_epi32(0x007fffff)), _mm_set1_epi32(0x3f000000)));
  }
  static float hmax(F v) {
    v = _mm_max_ps(v, _mm_shuffle_ps(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm_max_ps(v, _mm_shuffle_ps(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtss_f32(v);
  }
  static double hsum_d(F v) {
    const __m128d lo = _mm_cvtps_pd(v), hi = _mm_cvtps_pd(_mm_movehl_ps(v, v));
    const __m128d s = _mm_add_pd(lo, hi);
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
  }
  using T = F;
  static constexpr std::size_t kWidth = W;
  static F fmadd(F a, F b, F c) { return fma(a, b, c); }
  static F pow2n(F n) { return pow2i(n); }
  static F sqrt(F a) { return _mm_sqrt_ps(a); }
  static F fnmadd(F a, F b, F c) { return _mm_sub_ps(c, _mm_mul_ps(a, b)); }
  static F sign(F a) {
    const F one = _mm_set1_ps(1.0f);
    return _mm_sub_ps(_mm_and_ps(_mm_cmpgt_ps(a, _mm_setzero_ps()), one), _mm_and_ps(_mm_cmplt_ps(a, _mm_setzero_ps()), one));
  }
  // maxps/minps return their second operand when either is NaN: NaN stays.
  static F clamp(F v, F lo, F hi) { return _mm_min_ps(hi, _mm_max_ps(lo, v)); }
  static bool any_nan(F a) { return _mm_movemask_ps(_mm_cmpunord_ps(a, a)) != 0; }
  using M = __m128;
  static M gt(F a, F b) { return _mm_cmpgt_ps(a, b); }
  static M ge(F a, F b) { return _mm_cmpge_ps(a, b); }
  static M lt(F a, F b) { return _mm_cmplt_ps(a, b); }
  static M eq(F a, F b) { return _mm_cmpeq_ps(a, b); }
  static F select(M m, F a, F b) { return _mm_or_ps(_mm_and_ps(m, a), _mm_andnot_ps(m, b)); }
  static bool any(M m) { return _mm_movemask_ps(m) != 0; }
  static F min_num(F a, F b) { return _mm_min_ps(a, b); }
  static F max_num(F a, F b) { return _mm_max_ps(a, b); }
  static F recip(F a) { return _mm_div_ps(_mm_set1_ps(1.0f), a); }  // rcpps is only 12 bits
  // Round to nearest by adding and removing 1.5*2^23 (SSE2 has no roundps); |x| < 2^22.
  static F round_small(F x) {
    const F magic = _mm_set1_ps(12582912.0f);
    return _mm_sub_ps(_mm_add_ps(x, magic), magic);
  }
  static float reduce_add(F v) {
    alignas(16) float t[4];
    _mm_store_ps(t, v);
    return (t[0] + t[1]) + (t[2] + t[3]);
  }
  static float reduce_max(F v) {
    alignas(16) float t[4];
    _mm_store_ps(t, v);
    const float a = t[0] > t[1] ? t[0] : t[1];
    const float b = t[2] > t[3] ? t[2] : t[3];
    return a > b ? a : b;
  }
};
#elif defined(GW_VEC_AVX2)
struct V {
  using F = __m256;
  static constexpr std::size_t W = 8;
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
  static F set1(float v) { return _mm256_set1_ps(v); }
  static F zero() { return _mm256_setzero_ps(); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) { return _mm256_div_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
  static F min(F a, F b) { return _mm256_min_ps(a, b); }
  static F abs(F a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static F select_lt(F a, F b, F x, F y) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_LT_OQ)); }
  static F round(F x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static F pow2i(F n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
  }
  static F frexp(F x, F* e) {
    const __m256i i = _mm256_castps_si256(x);
    *e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(i, 23), _mm256_set1_epi32(126)));
    return _mm256_castsi256_ps(
        _mm256_or_si256(_mm256_and_si256(i, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f000000)));
  }
  static float hmax(F v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(1, 0, 3, 2)));
    m = _mm_max_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtss_f32(m);
  }
  static double hsum_d(F v) {
    const __m256d s = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    const __m128d t = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
    return _mm_cvtsd_f64(_mm_add_sd(t, _mm_unpackhi_pd(t, t)));
  }
  using T = F;
  static constexpr std::size_t kWidth = W;
  static F fmadd(F a, F b, F c) { return fma(a, b, c); }
  static F pow2n(F n) { return pow2i(n); }
  static F sqrt(F a) { return _mm256_sqrt_ps(a); }
  static F fnmadd(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); }
  static F sign(F a) {
    const F one = _mm256_set1_ps(1.0f);
    return _mm256_sub_ps(_mm256_and_ps(_mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_GT_OQ), one),
                         _mm256_and_ps(_mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_LT_OQ), one));
  }
  // vmaxps/vminps return their second operand when either is NaN: NaN stays.
  static F clamp(F v, F lo, F hi) { return _mm256_min_ps(hi, _mm256_max_ps(lo, v)); }
  static bool any_nan(F a) { return _mm256_movemask_ps(_mm256_cmp_ps(a, a, _CMP_UNORD_Q)) != 0; }
  using M = __m256;
  static M gt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static M ge(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
  static M lt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static M eq(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  static F select(M m, F a, F b) { return _mm256_blendv_ps(b, a, m); }
  static bool any(M m) { return _mm256_movemask_ps(m) != 0; }
  static F min_num(F a, F b) { return _mm256_min_ps(a, b); }
  static F max_num(F a, F b) { return _mm256_max_ps(a, b); }
  // A true division: rcpps + one Newton step is off by an ulp often enough
  // (1/1 -> 0.99999994) to break exact saturation of sigmoid and tanh.
  static F recip(F a) { return _mm256_div_ps(_mm256_set1_ps(1.0f), a); }
  static F round_small(F x) { return round(x); }
  static float reduce_add(F v) {
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 h = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps(h, h, 1)));
  }
  static float reduce_max(F v) {
    const __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 h = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(h, _mm_shuffle_ps(h, h, 1)));
  }
};
#elif defined(GW_VEC_AVX512)
struct V {
  using F = __m512;
  static constexpr std::size_t W = 16;
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
  static F set1(float v) { return _mm512_set1_ps(v); }
  static F zero() { return _mm512_setzero_ps(); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
  static F min(F a, F b) { return _mm512_min_ps(a, b); }
  static F abs(F a) { return _mm512_abs_ps(a); }
  static F select_lt(F a, F b, F x, F y) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), y, x); }
  static F round(F x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static F pow2i(F n) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23));
  }
  static F frexp(F x, F* e) {
    const __m512i i = _mm512_castps_si512(x);
    *e = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_srli_epi32(i, 23), _mm512_set1_epi32(126)));
    return _mm512_castsi512_ps(
        _mm512_or_si512(_mm512_and_si512(i, _mm512_set1_epi32(0x007fffff)), _mm512_set1_epi32(0x3f000000)));
  }
  static float hmax(F v) { return _mm512_reduce_max_ps(v); }
  static double hsum_d(F v) {
    // Once per block, so a store and scalar adds cost nothing measurable (and avoid
    // GCC 12's false -Wmaybe-uninitialized in the 512-bit double conversions).
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, v);
    double s = 0.0;
    for (float l : lanes) s += l;
    return s;
  }
  using T = F;
  static constexpr std::size_t kWidth = W;
  static F fmadd(F a, F b, F c) { return fma(a, b, c); }
  static F pow2n(F n) { return pow2i(n); }
  static F sqrt(F a) { return _mm512_sqrt_ps(a); }
  static F fnmadd(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }
  static F sign(F a) {
    const F one = _mm512_set1_ps(1.0f);
    return _mm512_sub_ps(_mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_GT_OQ), one),
                         _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_LT_OQ), one));
  }
  // vmaxps/vminps return their second operand when either is NaN: NaN stays.
  static F clamp(F v, F lo, F hi) { return _mm512_min_ps(hi, _mm512_max_ps(lo, v)); }
  static bool any_nan(F a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q) != 0; }
  using M = __mmask16;
  static M gt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static M ge(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
  static M lt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static M eq(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  static F select(M m, F a, F b) { return _mm512_mask_blend_ps(m, b, a); }
  static bool any(M m) { return m != 0; }
  static F min_num(F a, F b) { return _mm512_min_ps(a, b); }
  static F max_num(F a, F b) { return _mm512_max_ps(a, b); }
  // 14-bit estimate + one Newton step (~2^-27 relative), much cheaper than vdivps.
  static F recip(F a) {
    const F r = _mm512_rcp14_ps(a);
    return _mm512_fmadd_ps(r, _mm512_fnmadd_ps(a, r, _mm512_set1_ps(1.0f)), r);
  }
  static F round_small(F x) { return round(x); }
  static float reduce_add(F v) { return _mm512_reduce_add_ps(v); }
  static float reduce_max(F v) { return _mm512_reduce_max_ps(v); }
};
#elif defined(GW_VEC_NEON)
struct V {
  using F = float32x4_t;
  static constexpr std::size_t W = 4;
  static F load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, F v) { vst1q_f32(p, v); }
  static F set1(float v) { return vdupq_n_f32(v); }
  static F zero() { return vdupq_n_f32(0.0f); }
  static F add(F a, F b) { return vaddq_f32(a, b); }
  static F sub(F a, F b) { return vsubq_f32(a, b); }
  static F mul(F a, F b) { return vmulq_f32(a, b); }
  static F div(F a, F b) { return vdivq_f32(a, b); }
  static F fma(F a, F b, F c) { return vfmaq_f32(c, a, b); }
  static F max(F a, F b) { return vmaxq_f32(a, b); }
  static F min(F a, F b) { return vminq_f32(a, b); }
  static F abs(F a) { return vabsq_f32(a); }
  static F select_lt(F a, F b, F x, F y) { return vbslq_f32(vcltq_f32(a, b), x, y); }
  static F round(F x) { return vrndnq_f32(x); }
  static F pow2i(F n) {
    return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23));
  }
  static F frexp(F x, F* e) {
    const int32x4_t i = vreinterpretq_s32_f32(x);
    *e = vcvtq_f32_s32(vsubq_s32(vreinterpretq_s32_u32(vshrq_n_u32(vreinterpretq_u32_s32(i), 23)), vdupq_n_s32(126)));
    return vreinterpretq_f32_s32(vorrq_s32(vandq_s32(i, vdupq_n_s32(0x007fffff)), vdupq_n_s32(0x3f000000)));
  }
  static float hmax(F v) { return vmaxvq_f32(v); }
  static double hsum_d(F v) {
    const float64x2_t lo = vcvt_f64_f32(vget_low_f32(v)), hi = vcvt_high_f64_f32(v);
    return vaddvq_f64(vaddq_f64(lo, hi));
  }
  using T = F;
  static constexpr std::size_t kWidth = W;
  static F fmadd(F a, F b, F c) { return fma(a, b, c); }
  static F pow2n(F n) { return pow2i(n); }
  static F sqrt(F a) { return vsqrtq_f32(a); }
  static F fnmadd(F a, F b, F c) { return vfmsq_f32(c, a, b); }
  static F sign(F a) {
    const uint32x4_t one = vreinterpretq_u32_f32(vdupq_n_f32(1.0f));
    const F pos = vreinterpretq_f32_u32(vandq_u32(vcgtq_f32(a, vdupq_n_f32(0.0f)), one));
    const F neg = vreinterpretq_f32_u32(vandq_u32(vcltq_f32(a, vdupq_n_f32(0.0f)), one));
    return vsubq_f32(pos, neg);
  }
  // fmax/fmin propagate NaN on NEON, so NaN stays.
  static F clamp(F v, F lo, F hi) { return vminq_f32(vmaxq_f32(v, lo), hi); }
  static bool any_nan(F a) { return vmaxvq_u32(vmvnq_u32(vceqq_f32(a, a))) != 0; }
  using M = uint32x4_t;
  static M gt(F a, F b) { return vcgtq_f32(a, b); }
  static M ge(F a, F b) { return vcgeq_f32(a, b); }
  static M lt(F a, F b) { return vcltq_f32(a, b); }
  static M eq(F a, F b) { return vceqq_f32(a, b); }
  static F select(M m, F a, F b) { return vbslq_f32(m, a, b); }
  static bool any(M m) { return vmaxvq_u32(m) != 0; }
  static F min_num(F a, F b) { return vminnmq_f32(a, b); }
  static F max_num(F a, F b) { return vmaxnmq_f32(a, b); }
  static F recip(F a) { return vdivq_f32(vdupq_n_f32(1.0f), a); }
  static F round_small(F x) { return round(x); }
  static float reduce_add(F v) { return vaddvq_f32(v); }
  static float reduce_max(F v) { return vmaxvq_f32(v); }
};
#else
#error "simd.h: define one of GW_VEC_SSE2, GW_VEC_AVX2, GW_VEC_AVX512, GW_VEC_NEON"
#endif
