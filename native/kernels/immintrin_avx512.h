// <immintrin.h> for the AVX-512 units. GCC 12 reports false (maybe-)uninitialized
// warnings inside its own AVX-512 headers (GCC bug 105593: the _mm512_undefined_*
// pass-through operands); the diagnostic state at the header's lines decides, so
// the warnings are off around this include only, not in our code.
#pragma once
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
