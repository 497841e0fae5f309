// Weight initialisation shared by every layer kind: a layer only supplies its fan-in and fan-out (dense:
// in and out; a future conv layer: in_channels*kh*kw and out_channels*kh*kw), the scheme supplies the rest.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/kernels.hpp"

namespace lk {

class Rng;

// Fills n weights with the scheme's distribution: uniform(-s, s) or normal(0, s), s = init_scale(...).
void init_weights(float* weights, size_t n, Init init, uint32_t fan_in, uint32_t fan_out, Rng& rng);

}  // namespace lk
