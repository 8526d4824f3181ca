// dropconnect: plain scalar reference kernel (one Philox4x32-10 block at a time).
#include "kernels/dropconnect.h"

namespace gw {

namespace {

void dropconnect_mask_range_scalar(const float* w, float* out, std::size_t f0, std::size_t f1, const DropoutParams& p) {
  for (std::size_t f = f0; f < f1; ++f) {
    // Element f is word w of block 16*tile + j with f = 64*tile + 16*w + j (dropout.h).
    const std::uint64_t tile = f / kDropoutTile;
    const std::size_t r = f % kDropoutTile;
    const std::uint64_t block = tile * 16 + r % 16;
    const std::uint32_t counter[4] = {static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
                                      p.step_lo, p.step_hi};
    std::uint32_t word[4];
    philox4x32_10(counter, p.key0, p.key1, word);
    out[f - f0] = word[r / 16] >= p.threshold ? w[f] * p.scale : 0.0f;
  }
}

}  // namespace

const DropConnectKernels& dropconnect_kernels_scalar() {
  static const DropConnectKernels table{"scalar", dropconnect_mask_range_scalar};
  return table;
}

}  // namespace gw
