// double -> float32 without undefined behaviour. C++ leaves the conversion of a finite double outside float's
// range undefined ([conv.double]: "Otherwise, the behavior is undefined"); scripts pass such values (1e300,
// 2^63 as a float) for any float argument. Found by tests/test_type_fuzz.py.
#pragma once
#include <cfloat>
#include <cmath>

namespace lk {

// Saturates: beyond float's range gives +-inf (then refused by the validators that require finite values).
inline float to_f32(double v) {
    if (v > double(FLT_MAX)) return INFINITY;
    if (v < -double(FLT_MAX)) return -INFINITY;
    return float(v);  // NaN stays NaN
}

// Whether a double survives as a float32 value of the same kind (finite stays finite).
inline bool fits_f32(double v) { return !std::isfinite(v) || std::fabs(v) <= double(FLT_MAX); }

}  // namespace lk
