// Feature scaling fitted on data and applied row by row: scikit-learn's StandardScaler and MinMaxScaler.
// Godot-free; api/scaler.cpp is its GDScript face (LKScaler).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace lk {

enum class ScalerKind { STANDARD, MIN_MAX };

// "standard" / "min_max"; false for any other name.
bool scaler_kind_from_name(const std::string& name, ScalerKind* out);
const char* scaler_kind_name(ScalerKind kind);

struct Scaler {
    ScalerKind kind = ScalerKind::STANDARD;
    double range_min = 0.0, range_max = 1.0;  // min_max: the feature range the data is mapped to
    // standard: per-feature mean and scale (the population standard deviation, ddof 0; 1 for a constant
    // feature, as sklearn's scale_, so it is passed through centred instead of divided by zero).
    std::vector<float> mean, scale;
    // min_max: per-feature minimum and maximum of the data it was fitted on.
    std::vector<float> data_min, data_max;

    // The number of features it was fitted on (0: not fitted).
    size_t features() const { return kind == ScalerKind::STANDARD ? mean.size() : data_min.size(); }
};

// Fits on rows x width values (finite, rows >= 1); the statistics are computed in double.
void fit_scaler(Scaler* s, const float* X, size_t rows, size_t width);
// Empty when the scaler can transform; else why not (not fitted, statistics of different lengths, non-finite
// or non-positive scales, a bad feature range), naming the value.
std::string check_scaler(const Scaler& s);
// y = x * a + b per feature (standard: a = 1/scale, b = -mean/scale; min_max: sklearn's scale_ and min_), in
// double; inverse: x = (y - b) / a. Call check_scaler() first. out may alias X. A result beyond float32 becomes
// +-inf (the caller warns).
void scaler_apply(const Scaler& s, const float* X, size_t rows, float* out, bool inverse);

}  // namespace lk
