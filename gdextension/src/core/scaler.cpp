#include "core/scaler.hpp"

#include <cmath>
#include <sstream>

#include "core/f32.hpp"

namespace lk {

bool scaler_kind_from_name(const std::string& name, ScalerKind* out) {
    if (name == "standard") {
        *out = ScalerKind::STANDARD;
    } else if (name == "min_max") {
        *out = ScalerKind::MIN_MAX;
    } else {
        return false;
    }
    return true;
}

const char* scaler_kind_name(ScalerKind kind) { return kind == ScalerKind::STANDARD ? "standard" : "min_max"; }

void fit_scaler(Scaler* s, const float* X, size_t rows, size_t width) {
    s->mean.clear();
    s->scale.clear();
    s->data_min.clear();
    s->data_max.clear();
    if (s->kind == ScalerKind::MIN_MAX) {
        s->data_min.assign(X, X + width);
        s->data_max.assign(X, X + width);
        for (size_t r = 1; r < rows; ++r) {
            for (size_t j = 0; j < width; ++j) {
                const float v = X[r * width + j];
                s->data_min[j] = std::fmin(s->data_min[j], v);
                s->data_max[j] = std::fmax(s->data_max[j], v);
            }
        }
        return;
    }
    // Two passes in double: a constant feature gets a variance of exactly 0 (one pass, E[x^2] - E[x]^2, can leave
    // a tiny positive residue and then divide by it).
    std::vector<double> mean(width, 0.0), var(width, 0.0);
    for (size_t r = 0; r < rows; ++r) {
        for (size_t j = 0; j < width; ++j) mean[j] += X[r * width + j];
    }
    for (double& m : mean) m /= double(rows);
    for (size_t r = 0; r < rows; ++r) {
        for (size_t j = 0; j < width; ++j) {
            const double d = X[r * width + j] - mean[j];
            var[j] += d * d;
        }
    }
    for (size_t j = 0; j < width; ++j) {
        const double sd = std::sqrt(var[j] / double(rows));
        // sklearn's _handle_zeros_in_scale: a constant feature keeps scale 1. The two passes over float32 data in
        // double give exactly 0 for it (n equal values sum exactly below 2^29 rows).
        s->mean.push_back(float(mean[j]));
        s->scale.push_back(sd == 0.0 || float(sd) == 0.0f ? 1.0f : float(sd));
    }
}

namespace {

template <class... Args> std::string cat(const Args&... args) {
    std::ostringstream o;
    (o << ... << args);
    return o.str();
}

std::string check_values(const char* name, const std::vector<float>& v, bool positive) {
    for (size_t j = 0; j < v.size(); ++j) {
        if (!std::isfinite(v[j]) || (positive && !(v[j] > 0.0f))) {
            return cat(name, "[", j, "] is ", v[j], ": expected a finite", positive ? ", positive" : "", " number");
        }
    }
    return {};
}

// Per-feature a, b of y = x * a + b.
void coefficients(const Scaler& s, size_t j, double* a, double* b) {
    if (s.kind == ScalerKind::STANDARD) {
        *a = 1.0 / double(s.scale[j]);
        *b = -double(s.mean[j]) * *a;
        return;
    }
    double range = double(s.data_max[j]) - double(s.data_min[j]);
    if (range == 0.0) range = 1.0;  // sklearn: a constant feature maps to range_min
    *a = (s.range_max - s.range_min) / range;
    *b = s.range_min - double(s.data_min[j]) * *a;
}

}  // namespace

std::string check_scaler(const Scaler& s) {
    if (!(std::isfinite(s.range_min) && std::isfinite(s.range_max) && s.range_min < s.range_max) ||
        !fits_f32(s.range_min) || !fits_f32(s.range_max)) {
        return cat("the feature range is [", s.range_min, ", ", s.range_max,
                   "]: expected finite float32 numbers, feature_min < feature_max");
    }
    if (s.kind == ScalerKind::STANDARD) {
        if (s.mean.empty()) return "the scaler is not fitted: call fit() first (or set mean and scale)";
        if (s.scale.size() != s.mean.size()) {
            return cat("mean has ", s.mean.size(), " values and scale ", s.scale.size(), ": expected one per feature");
        }
        std::string e = check_values("mean", s.mean, false);
        return e.empty() ? check_values("scale", s.scale, true) : e;
    }
    if (s.data_min.empty()) return "the scaler is not fitted: call fit() first (or set data_min and data_max)";
    if (s.data_max.size() != s.data_min.size()) {
        return cat("data_min has ", s.data_min.size(), " values and data_max ", s.data_max.size(),
                   ": expected one per feature");
    }
    std::string e = check_values("data_min", s.data_min, false);
    if (e.empty()) e = check_values("data_max", s.data_max, false);
    for (size_t j = 0; e.empty() && j < s.data_min.size(); ++j) {
        if (s.data_min[j] > s.data_max[j]) {
            e = cat("data_min[", j, "] is ", s.data_min[j], " and data_max[", j, "] ", s.data_max[j],
                    ": expected data_min <= data_max");
        }
    }
    return e;
}

void scaler_apply(const Scaler& s, const float* X, size_t rows, float* out, bool inverse) {
    const size_t w = s.features();
    std::vector<double> a(w), b(w);
    for (size_t j = 0; j < w; ++j) coefficients(s, j, &a[j], &b[j]);
    for (size_t r = 0; r < rows; ++r) {
        for (size_t j = 0; j < w; ++j) {
            const double x = X[r * w + j];
            out[r * w + j] = to_f32(inverse ? (x - b[j]) / a[j] : x * a[j] + b[j]);  // saturates: no UB
        }
    }
}

}  // namespace lk
