#include "core/isa.h"

#include <cstdlib>

#if defined(GW_ARCH_X86)
#if defined(_MSC_VER)
#include <immintrin.h>
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace gw {
namespace {

#if defined(GW_ARCH_X86)
void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
#if defined(_MSC_VER)
  int regs[4];
  __cpuidex(regs, static_cast<int>(leaf), static_cast<int>(sub));
  for (int i = 0; i < 4; ++i) r[i] = static_cast<unsigned>(regs[i]);
#else
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#endif
}

unsigned long long xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
#endif
}

Isa detect() {
  unsigned r[4];
  cpuid(0, 0, r);
  const unsigned max_leaf = r[0];
  cpuid(1, 0, r);
  const bool osxsave = (r[2] >> 27) & 1;
  const bool fma = (r[2] >> 12) & 1;
  const bool avx = (r[2] >> 28) & 1;
  const bool f16c = (r[2] >> 29) & 1;
  if (!osxsave || !avx || max_leaf < 7) return Isa::kBaseline;
  const unsigned long long xcr0 = xgetbv0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;          // SSE + AVX state saved by the OS
  const bool zmm_state = (xcr0 & 0xE6) == 0xE6;        // + opmask and upper ZMM state
  cpuid(7, 0, r);
  const bool avx2 = (r[1] >> 5) & 1;
  const bool avx512f = (r[1] >> 16) & 1;
  const bool avx512dq = (r[1] >> 17) & 1;
  const bool avx512bw = (r[1] >> 30) & 1;
  const bool avx512vl = (r[1] >> 31) & 1;
  if (!ymm_state || !avx2 || !fma || !f16c) return Isa::kBaseline;
  if (zmm_state && avx512f && avx512dq && avx512bw && avx512vl) return Isa::kAvx512;
  return Isa::kAvx2;
}
#elif defined(GW_ARCH_ARM64)
Isa detect() { return Isa::kBaseline; }  // NEON is part of the arm64 baseline
#else
Isa detect() { return Isa::kScalar; }
#endif

Isa initial_cap() {
  const char* env = std::getenv("GRADWELL_MAX_ISA");
  Isa cap = Isa::kAvx512;
  if (env && *env && !parse_isa(env, &cap)) cap = Isa::kAvx512;  // unknown names are reported by the JS loader
  return cap;
}

Isa min_isa(Isa a, Isa b) { return static_cast<int>(a) < static_cast<int>(b) ? a : b; }

const Isa g_detected = detect();
std::atomic<int> g_active{static_cast<int>(min_isa(g_detected, initial_cap()))};

}  // namespace

Isa detected_isa() { return g_detected; }
Isa active_isa() { return static_cast<Isa>(g_active.load(std::memory_order_relaxed)); }

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
#if defined(GW_ARCH_ARM64)
    case Isa::kBaseline: return "neon";
#else
    case Isa::kBaseline: return "sse2";
#endif
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "unknown";
}

bool parse_isa(const std::string& name, Isa* out) {
  if (name == "scalar") { *out = Isa::kScalar; return true; }
  if (name == "baseline") { *out = Isa::kBaseline; return true; }
#if defined(GW_ARCH_ARM64)
  if (name == "neon") { *out = Isa::kBaseline; return true; }
#else
  if (name == "sse2") { *out = Isa::kBaseline; return true; }
  if (name == "avx2") { *out = Isa::kAvx2; return true; }
  if (name == "avx512") { *out = Isa::kAvx512; return true; }
#endif
  return false;
}

Isa set_max_isa(Isa cap) {
  const Isa now = min_isa(g_detected, cap);
  g_active.store(static_cast<int>(now), std::memory_order_relaxed);
  return now;
}

}  // namespace gw
