// Force-included (-include) into every C++ file of the Linux build by binding.gyp
// and CMakeLists.txt. It keeps the binary loadable on glibc 2.28 (the floor of
// Node 18-22's own Linux binaries, e.g. RHEL 8), although it is built on a newer
// glibc: scripts/check-binary.mjs fails the release if a newer symbol slips in.
#pragma once

#if defined(__linux__) && defined(__cplusplus)
#include <features.h>
#if defined(__GLIBC__)

// glibc 2.34 moved the pthread and dl functions into libc under a new symbol
// version; bind to the old (still exported) versions instead.
#if defined(__x86_64__)
#define GW_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define GW_GLIBC_BASE "GLIBC_2.17"
#endif
#if defined(GW_GLIBC_BASE)
__asm__(".symver pthread_once,pthread_once@" GW_GLIBC_BASE);
__asm__(".symver pthread_create,pthread_create@" GW_GLIBC_BASE);
__asm__(".symver pthread_join,pthread_join@" GW_GLIBC_BASE);
__asm__(".symver pthread_detach,pthread_detach@" GW_GLIBC_BASE);
__asm__(".symver pthread_mutex_trylock,pthread_mutex_trylock@" GW_GLIBC_BASE);
__asm__(".symver pthread_key_create,pthread_key_create@" GW_GLIBC_BASE);
__asm__(".symver pthread_key_delete,pthread_key_delete@" GW_GLIBC_BASE);
__asm__(".symver pthread_getspecific,pthread_getspecific@" GW_GLIBC_BASE);
__asm__(".symver pthread_setspecific,pthread_setspecific@" GW_GLIBC_BASE);
__asm__(".symver dlopen,dlopen@" GW_GLIBC_BASE);
__asm__(".symver dlsym,dlsym@" GW_GLIBC_BASE);
__asm__(".symver dlclose,dlclose@" GW_GLIBC_BASE);
__asm__(".symver dlerror,dlerror@" GW_GLIBC_BASE);
// glibc 2.29 added faster versions of these (same results; only the legacy SVID
// error handling differs); the old ones exist on every glibc.
__asm__(".symver exp,exp@" GW_GLIBC_BASE);
__asm__(".symver exp2,exp2@" GW_GLIBC_BASE);
__asm__(".symver log,log@" GW_GLIBC_BASE);
__asm__(".symver log2,log2@" GW_GLIBC_BASE);
__asm__(".symver pow,pow@" GW_GLIBC_BASE);
#endif

// libstdc++ (GCC 11+) reads glibc 2.32's __libc_single_threaded to skip atomic
// reference counting. Replace it by a constant "maybe multi-threaded" (always
// atomic: correct everywhere, and a worker pool is multi-threaded anyway).
// Defining the guard keeps <sys/single_threaded.h> from declaring the real one.
#define _SYS_SINGLE_THREADED_H 1
#define __libc_single_threaded gw_compat_libc_single_threaded
static const char gw_compat_libc_single_threaded = 0;

#endif  // __GLIBC__

// GCC 11+ headers make std::allocator call std::__throw_bad_array_new_length(),
// which only GCC 11's libstdc++ exports (GLIBCXX_3.4.29; Ubuntu 20.04 and Debian 11
// ship GCC 10's). Define it here, inline, so the binary carries its own copy.
#include <new>
#if defined(_GLIBCXX_RELEASE) && _GLIBCXX_RELEASE >= 11
namespace std {
__attribute__((__noreturn__, __visibility__("hidden"))) inline void __throw_bad_array_new_length() {
  throw bad_array_new_length();
}
}  // namespace std
#endif
// GCC 12's libstdc++ exports std::condition_variable::wait(unique_lock&) again under
// GLIBCXX_3.4.30 (the compute thread waits on one); the GLIBCXX_3.4.11 version is the
// same function and exists in every libstdc++ since GCC 4.4.
#if defined(_GLIBCXX_RELEASE) && _GLIBCXX_RELEASE >= 12
__asm__(".symver _ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE,"
        "_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE@GLIBCXX_3.4.11");
#endif
#endif  // __linux__ && __cplusplus
