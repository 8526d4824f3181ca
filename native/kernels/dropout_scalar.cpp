// dropout: plain scalar reference kernels (Philox4x32-10 one block at a time).
#include "kernels/dropout.h"

namespace gw {

namespace {
constexpr std::uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr std::uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr std::uint32_t kPhiloxW0 = 0x9E3779B9u;  // golden ratio
constexpr std::uint32_t kPhiloxW1 = 0xBB67AE85u;  // sqrt(3) - 1

void dropout_apply_scalar(const float* x, float* y, std::size_t begin, std::size_t end, const DropoutParams& p) {
  for (std::size_t tile_start = begin; tile_start < end; tile_start += kDropoutTile) {
    const std::uint64_t tile = tile_start / kDropoutTile;
    for (std::uint32_t j = 0; j < 16; ++j) {
      const std::uint64_t block = tile * 16 + j;
      const std::uint32_t counter[4] = {static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
                                        p.step_lo, p.step_hi};
      std::uint32_t word[4];
      philox4x32_10(counter, p.key0, p.key1, word);
      for (std::size_t w = 0; w < 4; ++w) {
        const std::size_t i = tile_start + 16 * w + j;
        if (i < end) y[i] = word[w] >= p.threshold ? x[i] * p.scale : 0.0f;
      }
    }
  }
}
}  // namespace

void philox4x32_10(const std::uint32_t counter[4], std::uint32_t key0, std::uint32_t key1, std::uint32_t out[4]) {
  std::uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t prod0 = static_cast<std::uint64_t>(kPhiloxM0) * c0;
    const std::uint64_t prod1 = static_cast<std::uint64_t>(kPhiloxM1) * c2;
    const std::uint32_t hi0 = static_cast<std::uint32_t>(prod0 >> 32), lo0 = static_cast<std::uint32_t>(prod0);
    const std::uint32_t hi1 = static_cast<std::uint32_t>(prod1 >> 32), lo1 = static_cast<std::uint32_t>(prod1);
    c0 = hi1 ^ c1 ^ key0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ key1;
    c3 = lo0;
    key0 += kPhiloxW0;
    key1 += kPhiloxW1;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

const DropoutKernels& dropout_kernels_scalar() {
  static const DropoutKernels table{"scalar", dropout_apply_scalar};
  return table;
}

}  // namespace gw
