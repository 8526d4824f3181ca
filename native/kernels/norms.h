// norms: kernel table (one per ISA) and the driver API used by the binding.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gw {

// Single-threaded kernels of one ISA; the drivers in norms.cpp own the thread loop.
struct NormKernels {
  const char* isa;
};

const NormKernels& norm_kernels_scalar();
const NormKernels* norm_kernels_sse2();    // nullptr: no specialisation
const NormKernels* norm_kernels_avx2();
const NormKernels* norm_kernels_avx512();
const NormKernels* norm_kernels_neon();
const NormKernels& norm_kernels();         // the active ISA's table

}  // namespace gw
