// activations: kernel table (one per ISA) and the driver API used by the binding.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gw {

// Single-threaded kernels of one ISA; the drivers in activations.cpp own the thread loop.
struct ActivationKernels {
  const char* isa;
};

const ActivationKernels& activation_kernels_scalar();
const ActivationKernels* activation_kernels_sse2();    // nullptr: no specialisation
const ActivationKernels* activation_kernels_avx2();
const ActivationKernels* activation_kernels_avx512();
const ActivationKernels* activation_kernels_neon();
const ActivationKernels& activation_kernels();         // the active ISA's table

}  // namespace gw
