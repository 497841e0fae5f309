#include "api/scaler.hpp"

#include <cmath>

#include "api/convert.hpp"
#include "api/float_checks.hpp"
#include "api/learnkit_data.hpp"
#include "api/model_file.hpp"
#include "core/validate.hpp"
#include "godot/log.hpp"

namespace lk::api {

namespace {

gd::PackedFloat32Array packed(const std::vector<float>& v) { return to_packed(v.data(), v.size()); }

std::vector<float> unpacked(const gd::PackedFloat32Array& a) {
    return std::vector<float>(a.data(), a.data() + a.size());
}

// Statistics are set one by one when a resource file loads, so each setter checks only its own values; the
// consistency of the whole (lengths, kind) is checked when the scaler is used (check_scaler).
void set_stats(std::vector<float>* slot, const gd::PackedFloat32Array& value, const char* where) {
    std::vector<float> v = unpacked(value);
    for (size_t j = 0; j < v.size(); ++j) {
        if (!std::isfinite(v[j])) {
            push_error(where, str("value ", j, " is ", v[j], ": expected finite numbers (the property keeps its value)"));
            return;
        }
    }
    *slot = std::move(v);
}

// Finite inputs and statistics can still give a value beyond float32 (inverse_transform of 1e38): say so.
void warn_overflow(const float* v, size_t n, const char* where) {
    for (size_t i = 0; i < n; ++i) {
        if (!std::isfinite(v[i])) {
            push_warning(where, str("value ", i, " of the result overflows float32 (", v[i], ")"));
            return;
        }
    }
}

}  // namespace

void LKScaler::set_kind(const gd::String& value) {
    if (!scaler_kind_from_name(value.utf8(), &s.kind)) {
        push_error("LKScaler.kind", str("unknown kind \"", value.utf8(), "\": expected \"standard\" or \"min_max\""));
    }
}

void LKScaler::set_feature_min(double value) {
    if (check_f32(value, "LKScaler.feature_min")) s.range_min = value;
}

void LKScaler::set_feature_max(double value) {
    if (check_f32(value, "LKScaler.feature_max")) s.range_max = value;
}

gd::PackedFloat32Array LKScaler::get_mean() const { return packed(s.mean); }
void LKScaler::set_mean(const gd::PackedFloat32Array& v) { set_stats(&s.mean, v, "LKScaler.mean"); }
gd::PackedFloat32Array LKScaler::get_scale() const { return packed(s.scale); }
void LKScaler::set_scale(const gd::PackedFloat32Array& v) { set_stats(&s.scale, v, "LKScaler.scale"); }
gd::PackedFloat32Array LKScaler::get_data_min() const { return packed(s.data_min); }
void LKScaler::set_data_min(const gd::PackedFloat32Array& v) { set_stats(&s.data_min, v, "LKScaler.data_min"); }
gd::PackedFloat32Array LKScaler::get_data_max() const { return packed(s.data_max); }
void LKScaler::set_data_max(const gd::PackedFloat32Array& v) { set_stats(&s.data_max, v, "LKScaler.data_max"); }

int64_t LKScaler::fit(const gd::Array& rows) {
    const char* where = "LKScaler.fit";
    uint32_t width = 0;
    std::vector<float> X;
    std::string err;
    if (!rows_to_matrix(rows, "rows", &width, &X, &err)) {
        push_error(where, err);
        return gd::ERR_INVALID_PARAMETER;
    }
    fit_scaler(&s, X.data(), X.size() / width, width);
    return gd::OK;
}

int64_t LKScaler::fit_flat(const gd::PackedFloat32Array& data, int64_t rows) {
    const char* where = "LKScaler.fit_flat";
    const int64_t n = data.size();
    if (rows <= 0 || n == 0 || n % rows != 0) {
        push_error(where, str("data has ", n, " values and rows is ", rows,
                              ": expected rows > 0 and data.size() a non-zero multiple of rows"));
        return gd::ERR_INVALID_PARAMETER;
    }
    const std::string bad = check_finite("data", data.data(), size_t(n), size_t(n / rows));
    if (!bad.empty()) {
        push_error(where, bad);
        return gd::ERR_INVALID_PARAMETER;
    }
    fit_scaler(&s, data.data(), size_t(rows), size_t(n / rows));
    return gd::OK;
}

bool LKScaler::apply(const gd::Array& rows, bool inverse, const char* where, gd::Array* out) {
    const std::string bad = check_scaler(s);
    if (!bad.empty()) {
        push_error(where, bad);
        return false;
    }
    uint32_t width = uint32_t(s.features());
    std::vector<float> X;
    std::string err;
    if (!rows_to_matrix(rows, "rows", &width, &X, &err)) {
        push_error(where, str(err, " (the scaler was fitted on ", s.features(), " features)"));
        return false;
    }
    scaler_apply(s, X.data(), X.size() / width, X.data(), inverse);
    warn_overflow(X.data(), X.size(), where);
    *out = matrix_to_rows(X, X.size() / width, width);
    return true;
}

bool LKScaler::apply_flat(const gd::PackedFloat32Array& data, bool inverse, const char* where,
                          gd::PackedFloat32Array* out) {
    std::string bad = check_scaler(s);
    const size_t w = s.features(), n = size_t(data.size());
    if (bad.empty() && (n == 0 || n % w != 0)) {
        bad = str("data has ", n, " values: expected a non-zero multiple of the ", w, " features it was fitted on");
    }
    if (bad.empty()) bad = check_finite("data", data.data(), n, w);
    if (!bad.empty()) {
        push_error(where, bad);
        return false;
    }
    out->resize(int64_t(n));
    scaler_apply(s, data.data(), n / w, out->data(), inverse);
    warn_overflow(out->data(), n, where);
    return true;
}

gd::Array LKScaler::transform(const gd::Array& rows) {
    gd::Array out;
    apply(rows, false, "LKScaler.transform", &out);
    return out;
}

gd::Array LKScaler::inverse_transform(const gd::Array& rows) {
    gd::Array out;
    apply(rows, true, "LKScaler.inverse_transform", &out);
    return out;
}

gd::Array LKScaler::fit_transform(const gd::Array& rows) {
    gd::Array out;
    if (fit(rows) == gd::OK) apply(rows, false, "LKScaler.fit_transform", &out);
    return out;
}

gd::PackedFloat32Array LKScaler::transform_flat(const gd::PackedFloat32Array& data) {
    gd::PackedFloat32Array out;
    apply_flat(data, false, "LKScaler.transform_flat", &out);
    return out;
}

gd::PackedFloat32Array LKScaler::inverse_transform_flat(const gd::PackedFloat32Array& data) {
    gd::PackedFloat32Array out;
    apply_flat(data, true, "LKScaler.inverse_transform_flat", &out);
    return out;
}

ExtRef<LKScaler> LearnKitData::standard_scaler() { return ExtRef<LKScaler>::create(); }

ExtRef<LKScaler> LearnKitData::min_max_scaler(double feature_min, double feature_max) {
    const char* where = "data.min_max_scaler";
    if (!(std::isfinite(feature_min) && std::isfinite(feature_max) && feature_min < feature_max) ||
        !check_f32(feature_min, where) || !check_f32(feature_max, where)) {
        push_error(where, str("the feature range is [", feature_min, ", ", feature_max,
                              "]: expected finite float32 numbers with feature_min < feature_max"));
        return {};
    }
    ExtRef<LKScaler> s = ExtRef<LKScaler>::create();
    s->s.kind = ScalerKind::MIN_MAX;
    s->s.range_min = feature_min;
    s->s.range_max = feature_max;
    return s;
}

gd::Dictionary scaler_to_dict(const Scaler& s) {
    gd::Dictionary d;
    d[gd::Variant("kind")] = gd::Variant(scaler_kind_name(s.kind));
    d[gd::Variant("feature_min")] = gd::Variant(s.range_min);
    d[gd::Variant("feature_max")] = gd::Variant(s.range_max);
    const struct {
        const char* key;
        const std::vector<float>& v;
    } stats[] = {{"mean", s.mean}, {"scale", s.scale}, {"data_min", s.data_min}, {"data_max", s.data_max}};
    for (const auto& st : stats) {
        if (!st.v.empty()) d[gd::Variant(st.key)] = gd::Variant(floats_to_base64(st.v.data(), st.v.size()));
    }
    return d;
}

bool scaler_from_dict(const gd::Variant& entry, Scaler* s, std::string* err) {
    if (entry.get_type() != GDEXTENSION_VARIANT_TYPE_DICTIONARY) {
        *err = str("is ", entry.describe(), ": expected a Dictionary {kind, feature_min, feature_max, ...}");
        return false;
    }
    const gd::Dictionary d = entry.as_dictionary();
    gd::Variant kind, lo, hi;
    d.lookup(gd::Variant("kind"), &kind);
    d.lookup(gd::Variant("feature_min"), &lo);
    d.lookup(gd::Variant("feature_max"), &hi);
    Scaler out;
    if (kind.get_type() != GDEXTENSION_VARIANT_TYPE_STRING || !scaler_kind_from_name(kind.as_string().utf8(), &out.kind)) {
        *err = str("has kind ", kind.describe(), ": expected \"standard\" or \"min_max\"");
        return false;
    }
    if (!lo.is_number() || !hi.is_number()) {
        *err = str("has feature_min ", lo.describe(), " and feature_max ", hi.describe(), ": expected numbers");
        return false;
    }
    out.range_min = lo.as_double();
    out.range_max = hi.as_double();
    struct {
        const char* key;
        std::vector<float>* v;
    } stats[] = {{"mean", &out.mean}, {"scale", &out.scale}, {"data_min", &out.data_min}, {"data_max", &out.data_max}};
    for (const auto& st : stats) {
        gd::Variant v;
        if (!d.lookup(gd::Variant(st.key), &v)) continue;
        if (v.get_type() != GDEXTENSION_VARIANT_TYPE_STRING || !base64_to_floats(v.as_string().utf8(), st.v)) {
            *err = str("has ", st.key, " ", v.describe(), ": expected base64 of float32 values");
            return false;
        }
    }
    *err = check_scaler(out);
    if (!err->empty()) return false;
    *s = std::move(out);
    return true;
}

}  // namespace lk::api
