// Run-time instruction-set selection. Kernel tables are picked per call from
// the active ISA, which is detected once at load (cpuid + xgetbv on x86) and
// can be capped (GRADWELL_MAX_ISA, or set_max_isa) so every path is testable.
#pragma once
#include <atomic>
#include <string>

namespace gw {

// Ordered: a higher level implies every lower one on the same architecture.
// kBaseline is SSE2 on x86-64 and NEON on arm64.
enum class Isa : int { kScalar = 0, kBaseline = 1, kAvx2 = 2, kAvx512 = 3 };

Isa detected_isa();             // the best this CPU (and OS) supports
Isa active_isa();               // min(detected, cap)
const char* isa_name(Isa isa);  // "scalar", "sse2", "avx2", "avx512", "neon"
// Parses a name ("scalar", "sse2", "baseline", "neon", "avx2", "avx512");
// returns false for an unknown name or one of the other architecture.
bool parse_isa(const std::string& name, Isa* out);
// Caps the active ISA (never raises it above detected_isa()); returns the new active ISA.
Isa set_max_isa(Isa cap);

// Picks the best available kernel table at or below the active ISA; a null
// pointer means "this ISA has no specialisation", and the next lower one is used.
// Takes the table getters, not the tables: a getter of an ISA above the active one
// must never run, since the compiler may use that ISA's instructions inside it (an
// AVX-512 getter initialising its static table with zmm stores is an illegal
// instruction on an AVX2 machine).
template <class T>
const T& pick(const T& (*scalar)(), const T* (*baseline)(), const T* (*avx2)(), const T* (*avx512)()) {
  const Isa isa = active_isa();
  if (isa >= Isa::kAvx512 && avx512 != nullptr) {
    if (const T* t = avx512()) return *t;
  }
  if (isa >= Isa::kAvx2 && avx2 != nullptr) {
    if (const T* t = avx2()) return *t;
  }
  if (isa >= Isa::kBaseline && baseline != nullptr) {
    if (const T* t = baseline()) return *t;
  }
  return scalar();
}

}  // namespace gw

// Each ISA translation unit of family F defines `const FKernels* F_kernels_<isa>()`
// (nullptr when it has no specialisation). These macros give the arguments of
// pick() for the current architecture, so drivers need no #ifdefs.
#if defined(GW_ARCH_X86)
#define GW_PICK(family) ::gw::pick(&family##_scalar, &family##_sse2, &family##_avx2, &family##_avx512)
#elif defined(GW_ARCH_ARM64)
#define GW_PICK(family)                                              \
  ::gw::pick(&family##_scalar, &family##_neon,                         \
             static_cast<decltype(&family##_neon)>(nullptr), static_cast<decltype(&family##_neon)>(nullptr))
#else
#define GW_PICK(family) family##_scalar()
#endif
