// gemm: kernel table (one per ISA) and the driver API used by the binding.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gw {

// Single-threaded kernels of one ISA; the drivers in gemm.cpp own the thread loop.
struct GemmKernels {
  const char* isa;
};

const GemmKernels& gemm_kernels_scalar();
const GemmKernels* gemm_kernels_sse2();    // nullptr: no specialisation
const GemmKernels* gemm_kernels_avx2();
const GemmKernels* gemm_kernels_avx512();
const GemmKernels* gemm_kernels_neon();
const GemmKernels& gemm_kernels();         // the active ISA's table

}  // namespace gw
