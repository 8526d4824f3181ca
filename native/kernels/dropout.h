// dropout: kernel table (one per ISA) and the driver API used by the binding.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gw {

// Single-threaded kernels of one ISA; the drivers in dropout.cpp own the thread loop.
struct DropoutKernels {
  const char* isa;
};

const DropoutKernels& dropout_kernels_scalar();
const DropoutKernels* dropout_kernels_sse2();    // nullptr: no specialisation
const DropoutKernels* dropout_kernels_avx2();
const DropoutKernels* dropout_kernels_avx512();
const DropoutKernels* dropout_kernels_neon();
const DropoutKernels& dropout_kernels();         // the active ISA's table

}  // namespace gw
