// A 64-byte aligned scratch buffer, grown on demand. Kernels keep one per
// calling thread (static thread_local) so repeated calls do not page-fault
// fresh memory every time.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace gw {

struct Scratch {
  struct AlignedFree {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, AlignedFree> data;
  std::size_t size = 0;
  // At least n floats (contents unspecified); throws std::bad_alloc.
  float* get(std::size_t n) {
    if (n > size) {
      const std::size_t bytes = ((std::max<std::size_t>(n, 1) * sizeof(float) + 63) / 64) * 64;
      data.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
      if (!data) {
        size = 0;
        throw std::bad_alloc();
      }
      size = n;
    }
    return data.get();
  }
};

}  // namespace gw
