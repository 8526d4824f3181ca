// The scalar loop of the norms' dot statistics: the reference kernels (norms_scalar.cpp) and the
// tails of the SIMD kernels (norms_simd_inl.h). Included inside an anonymous namespace, so each ISA
// unit has its own copy (internal linkage).

// Adds, over i in [i0, n), g_i, g_i * d_i and d_i to *t1, *t2, *t3, with d_i = x_i - mh and the float g_i = gs(i).
template <class GS>
inline void dot_stats_tail(const float* x, std::size_t i0, std::size_t n, float mh, GS&& gs, double* t1, double* t2,
                           double* t3) {
  double a = *t1, b = *t2, c = *t3;
  for (std::size_t i = i0; i < n; ++i) {
    const float d = x[i] - mh;
    const float g = gs(i);
    a += g;
    b += static_cast<double>(g) * d;
    c += d;
  }
  *t1 = a;
  *t2 = b;
  *t3 = c;
}
