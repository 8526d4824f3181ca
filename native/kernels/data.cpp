#include "kernels/data.h"

#include <cstring>

#include "core/prefetch.h"
#include "core/threads.h"

namespace gw {

namespace {
constexpr std::size_t kRowChunk = 64;
constexpr std::size_t kElemChunk = 1 << 16;
}  // namespace

void gather_rows_f32(const float* src, const std::int32_t* index, std::size_t rows, std::size_t cols, float* dst) {
  parallel_chunks(rows, kRowChunk, [&](std::size_t b, std::size_t e) {
    for (std::size_t r = b; r < e; ++r) {
      if (r + kGatherAhead < e) prefetch_bytes(src + static_cast<std::size_t>(index[r + kGatherAhead]) * cols, cols * sizeof(float));
      std::memcpy(dst + r * cols, src + static_cast<std::size_t>(index[r]) * cols, cols * sizeof(float));
    }
  });
}

void gather_rows_u8(const std::uint8_t* src, const std::int32_t* index, std::size_t rows, std::size_t cols, float scale,
                    float* dst) {
  parallel_chunks(rows, kRowChunk, [&](std::size_t b, std::size_t e) {
    for (std::size_t r = b; r < e; ++r) {
      if (r + kGatherAhead < e) prefetch_bytes(src + static_cast<std::size_t>(index[r + kGatherAhead]) * cols, cols);
      const std::uint8_t* s = src + static_cast<std::size_t>(index[r]) * cols;
      float* d = dst + r * cols;
      for (std::size_t c = 0; c < cols; ++c) d[c] = static_cast<float>(s[c]) * scale;
    }
  });
}

void gather_i32(const std::int32_t* src, const std::int32_t* index, std::size_t n, std::int32_t* dst) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = src[index[i]];
}

void fill_f32(float* x, std::size_t n, float value) {
  parallel_chunks(n, kElemChunk, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) x[i] = value;
  });
}

void copy_f32(const float* src, float* dst, std::size_t n) {
  parallel_chunks(n, kElemChunk, [&](std::size_t b, std::size_t e) {
    std::memcpy(dst + b, src + b, (e - b) * sizeof(float));
  });
}

}  // namespace gw
