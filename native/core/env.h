// The native core's environment switches, read the same way everywhere (lib/binding.ts
// envWarnings mirrors these rules to warn about values that fall back).
#pragma once
#include <cstdlib>
#include <cstring>

namespace gw {

// A decimal integer (strtol: leading blanks and a sign allowed, nothing after)
// in [lo, hi]; anything else, or unset, gives fallback.
inline long env_long(const char* name, long fallback, long lo, long hi) {
  const char* s = std::getenv(name);
  if (!s) return fallback;
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  return (end != s && *end == '\0' && v >= lo && v <= hi) ? v : fallback;
}

// Whether the variable is set to exactly `value`.
inline bool env_is(const char* name, const char* value) {
  const char* s = std::getenv(name);
  return s && std::strcmp(s, value) == 0;
}

}  // namespace gw
