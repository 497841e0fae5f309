// LKScaler: feature scaling as a Resource (scikit-learn's StandardScaler and MinMaxScaler), and its entry in
// model files (LKNetwork.input_scaler / output_scaler are saved inside the network's model Dictionary).
#pragma once
#include <string>

#include "core/scaler.hpp"
#include "godot/extension_object.hpp"

namespace lk::api {

class LKScaler : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LKScaler";
    Scaler s;

    gd::String get_kind() const { return gd::String(scaler_kind_name(s.kind)); }
    void set_kind(const gd::String& value);
    double get_feature_min() const { return s.range_min; }
    void set_feature_min(double value);
    double get_feature_max() const { return s.range_max; }
    void set_feature_max(double value);
    gd::PackedFloat32Array get_mean() const;
    void set_mean(const gd::PackedFloat32Array& value);
    gd::PackedFloat32Array get_scale() const;
    void set_scale(const gd::PackedFloat32Array& value);
    gd::PackedFloat32Array get_data_min() const;
    void set_data_min(const gd::PackedFloat32Array& value);
    gd::PackedFloat32Array get_data_max() const;
    void set_data_max(const gd::PackedFloat32Array& value);
    int64_t get_features() const { return int64_t(s.features()); }
    bool get_fitted() const { return check_scaler(s).empty(); }

    int64_t fit(const gd::Array& rows);
    gd::Array transform(const gd::Array& rows);
    gd::Array fit_transform(const gd::Array& rows);
    gd::Array inverse_transform(const gd::Array& rows);
    int64_t fit_flat(const gd::PackedFloat32Array& data, int64_t rows);
    gd::PackedFloat32Array transform_flat(const gd::PackedFloat32Array& data);
    gd::PackedFloat32Array inverse_transform_flat(const gd::PackedFloat32Array& data);

private:
    bool apply(const gd::Array& rows, bool inverse, const char* where, gd::Array* out);
    bool apply_flat(const gd::PackedFloat32Array& data, bool inverse, const char* where,
                    gd::PackedFloat32Array* out);
};

// A scaler as plain data for model files: {kind, feature_min, feature_max, mean, scale, data_min, data_max}
// with the statistics as base64 float32 (exact in any file format).
gd::Dictionary scaler_to_dict(const Scaler& s);
// The inverse; false and *err (naming the bad key) unless the entry describes a usable (fitted) scaler.
bool scaler_from_dict(const gd::Variant& entry, Scaler* s, std::string* err);

}  // namespace lk::api
