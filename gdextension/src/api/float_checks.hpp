// Checks of float settings and results. Setters of float32 settings refuse a finite value beyond float32's
// range with an error (the setting keeps its value) instead of turning it into +-inf silently; NaN and +-inf are
// stored as given and refused by the validators when the setting is used (core/validate.cpp, check_config).
#pragma once
#include <cmath>
#include <vector>

#include "core/f32.hpp"
#include "godot/log.hpp"

namespace lk::api {

inline bool check_f32(double v, const char* where) {
    if (fits_f32(v)) return true;
    push_error(where, str(v, " is beyond float32's range (+-3.4e38): the setting keeps its value"));
    return false;
}

inline void set_f32(float* slot, double v, const char* where) {
    if (check_f32(v, where)) *slot = float(v);
}

// A fit whose loss ended non-finite diverged (e.g. a learning rate of 1e18): said loudly, never silently.
inline void warn_if_diverged(const std::vector<float>& epoch_loss, float learning_rate, const char* where) {
    if (epoch_loss.empty() || std::isfinite(epoch_loss.back())) return;
    push_warning(where, str("training diverged: the loss is ", epoch_loss.back(), " after epoch ", epoch_loss.size(),
                            " (learning rate ", learning_rate, "; try a smaller one)"));
}

}  // namespace lk::api
