// The scalar loops of the element-wise losses: the reference kernels (losses_scalar.cpp) and the
// tails of the SIMD kernels (losses_simd_inl.h). Included inside an anonymous namespace, so each ISA
// unit has its own copy (internal linkage). Each adds the terms of elements [i0, n) to s and returns it,
// writing d[i] when d is not null.

inline double mse_tail(const float* p, const float* t, std::size_t i0, std::size_t n, float scale, float* d, double s) {
  for (std::size_t i = i0; i < n; ++i) {
    const float e = p[i] - t[i];
    s += static_cast<double>(e) * e;
    if (d) d[i] = 2.0f * e * scale;
  }
  return s;
}

inline double mae_tail(const float* p, const float* t, std::size_t i0, std::size_t n, float scale, float* d, double s) {
  for (std::size_t i = i0; i < n; ++i) {
    const float e = p[i] - t[i];
    s += std::fabs(e);
    if (d) d[i] = e > 0.0f ? scale : (e < 0.0f ? -scale : 0.0f);
  }
  return s;
}

inline double huber_tail(const float* p, const float* t, std::size_t i0, std::size_t n, float delta, float scale,
                         float* d, double s) {
  for (std::size_t i = i0; i < n; ++i) {
    const float e = p[i] - t[i];
    const float a = std::fabs(e);
    s += a < delta ? 0.5f * e * e : delta * (a - 0.5f * delta);
    if (d) d[i] = std::min(std::max(e, -delta), delta) * scale;
  }
  return s;
}

inline double bce_tail(const float* p, const float* t, std::size_t i0, std::size_t n, float scale, float* d, double s) {
  for (std::size_t i = i0; i < n; ++i) {
    const float log_p = std::max(std::log(p[i]), -100.0f);
    const float log_1mp = std::max(std::log1p(-p[i]), -100.0f);
    s -= t[i] * log_p + (1.0f - t[i]) * log_1mp;
    // PyTorch: (p - t) / max(p * (1 - p), 1e-12).
    if (d) d[i] = (p[i] - t[i]) / std::max(p[i] * (1.0f - p[i]), 1e-12f) * scale;
  }
  return s;
}

inline double bce_logits_tail(const float* z, const float* t, std::size_t i0, std::size_t n, float scale, float* d,
                              double s) {
  for (std::size_t i = i0; i < n; ++i) {
    const float e = std::exp(-std::fabs(z[i]));  // in (0, 1]: never overflows
    s += std::max(z[i], 0.0f) - z[i] * t[i] + std::log1p(e);
    if (d) {
      const float sig = z[i] >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
      d[i] = (sig - t[i]) * scale;
    }
  }
  return s;
}
