// losses: kernel table (one per ISA) and the driver API used by the binding.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gw {

// Single-threaded kernels of one ISA; the drivers in losses.cpp own the thread loop.
struct LossKernels {
  const char* isa;
};

const LossKernels& loss_kernels_scalar();
const LossKernels* loss_kernels_sse2();    // nullptr: no specialisation
const LossKernels* loss_kernels_avx2();
const LossKernels* loss_kernels_avx512();
const LossKernels* loss_kernels_neon();
const LossKernels& loss_kernels();         // the active ISA's table

}  // namespace gw
