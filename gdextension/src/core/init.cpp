#include "core/init.hpp"

#include "core/rng.hpp"

namespace lk {

void init_weights(float* weights, size_t n, Init init, uint32_t fan_in, uint32_t fan_out, Rng& rng) {
    const double scale = init_scale(init, fan_in, fan_out);
    if (init_info(init).uniform) {
        for (size_t i = 0; i < n; ++i) weights[i] = static_cast<float>((2.0 * rng.uniform() - 1.0) * scale);
    } else {
        for (size_t i = 0; i < n; ++i) weights[i] = static_cast<float>(rng.normal() * scale);
    }
}

}  // namespace lk
