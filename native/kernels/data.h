// Data movement for the training loop: batch gathering and conversion, fills
// and copies. Memory-bound and simple, so one portable implementation
// (the compiler vectorises it) with the chunked thread loop.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gw {

// dst[r, :] = src[index[r], :] * scale, for r in [0, rows); row length `cols`.
void gather_rows_f32(const float* src, const std::int32_t* index, std::size_t rows, std::size_t cols, float* dst);
void gather_rows_u8(const std::uint8_t* src, const std::int32_t* index, std::size_t rows, std::size_t cols, float scale,
                    float* dst);
void gather_i32(const std::int32_t* src, const std::int32_t* index, std::size_t n, std::int32_t* dst);
void fill_f32(float* x, std::size_t n, float value);
void copy_f32(const float* src, float* dst, std::size_t n);

}  // namespace gw
