// Weight initialisation shared by every layer kind: a layer supplies its tensor's shape and fans (dense: in and
// out; a future conv layer: in_channels*kh*kw and out_channels*kh*kw), the initializer (codegen/spec/
// initializers.yaml, generated into initializers.hpp) supplies the distribution, and this file draws from it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/initializers.hpp"

namespace lk {

class Rng;

// Orthogonal initialisation of a rows x cols matrix costs about 2 * max * min^2 flops (a QR decomposition);
// past this many (max * min^2) it is refused rather than stalling the caller for many seconds.
constexpr uint64_t kMaxOrthogonalCost = uint64_t(1) << 31;

// Fills a rows x cols row-major tensor (a vector: rows = 1) from the distribution.
void init_tensor(float* values, uint32_t rows, uint32_t cols, const InitDraw& draw, Rng& rng);

// "" when init_tensor can fill a rows x cols tensor from draw in reasonable time; else why not.
std::string init_tensor_check(uint32_t rows, uint32_t cols, const InitDraw& draw);

}  // namespace lk
