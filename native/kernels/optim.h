// optim: kernel table (one per ISA) and the driver API used by the binding.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gw {

// Single-threaded kernels of one ISA; the drivers in optim.cpp own the thread loop.
struct OptimKernels {
  const char* isa;
};

const OptimKernels& optim_kernels_scalar();
const OptimKernels* optim_kernels_sse2();    // nullptr: no specialisation
const OptimKernels* optim_kernels_avx2();
const OptimKernels* optim_kernels_avx512();
const OptimKernels* optim_kernels_neon();
const OptimKernels& optim_kernels();         // the active ISA's table

}  // namespace gw
