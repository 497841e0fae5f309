// Setters of float32 settings: a finite value beyond float32's range is refused with an error (the setting keeps
// its value) instead of turning into +-inf silently; NaN and +-inf are stored as given and refused by the
// validators when the setting is used (core/validate.cpp, check_config).
#pragma once
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

}  // namespace lk::api
