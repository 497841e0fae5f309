#include "api/convert.hpp"

#include <cmath>
#include <cstring>

#include "godot/log.hpp"

namespace lk::api {

namespace {
// One row as floats; false when it is not a numeric row.
bool read_row(const gd::Variant& row, std::vector<float>* out) {
    out->clear();
    switch (row.get_type()) {
        case GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY: {
            gd::PackedFloat32Array a = row.as_packed_float32_array();
            out->assign(a.data(), a.data() + a.size());
            return true;
        }
        case GDEXTENSION_VARIANT_TYPE_ARRAY: {
            gd::Array a = row.as_array();
            const int64_t n = a.size();
            out->reserve(size_t(n));
            for (int64_t i = 0; i < n; ++i) {
                const gd::Variant& v = a[i];
                if (!v.is_number()) return false;
                out->push_back(float(v.as_double()));
            }
            return true;
        }
        case GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT64_ARRAY:
        case GDEXTENSION_VARIANT_TYPE_PACKED_INT32_ARRAY:
        case GDEXTENSION_VARIANT_TYPE_PACKED_INT64_ARRAY: {
            gd::Variant converted;
            if (!row.convert(GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY, &converted)) return false;
            return read_row(converted, out);
        }
        default:
            return false;
    }
}
}  // namespace

bool rows_to_matrix(const gd::Array& rows, const char* what, uint32_t* width, std::vector<float>* out,
                    std::string* err) {
    const int64_t n = rows.size();
    if (n == 0) {
        *err = str(what, " is empty: expected at least one row");
        return false;
    }
    out->clear();
    std::vector<float> row;
    for (int64_t r = 0; r < n; ++r) {
        const gd::Variant& v = rows[r];
        if (!read_row(v, &row)) {
            *err = str(what, " row ", r, " is ", gd::variant_type_name(v.get_type()), " (", v.describe(),
                       "): expected an Array of numbers or a PackedFloat32Array");
            return false;
        }
        if (*width == 0) {
            if (row.empty()) {
                *err = str(what, " row 0 is empty: expected at least one value");
                return false;
            }
            *width = uint32_t(row.size());
            out->reserve(size_t(n) * *width);
        }
        if (row.size() != *width) {
            *err = str(what, " row ", r, " has ", row.size(), " values, expected ", *width);
            return false;
        }
        for (size_t c = 0; c < row.size(); ++c) {
            if (!std::isfinite(row[c])) {
                *err = str(what, " row ", r, " column ", c, " is ", row[c], ": expected a finite number");
                return false;
            }
        }
        out->insert(out->end(), row.begin(), row.end());
    }
    return true;
}

bool targets_to_matrix(const gd::Array& targets, size_t expected_rows, uint32_t width, std::vector<float>* out,
                       std::string* err) {
    if (size_t(targets.size()) != expected_rows) {
        *err = str("targets has ", targets.size(), " rows, expected ", expected_rows, " (one per input row)");
        return false;
    }
    if (expected_rows > 0 && width > 1 && targets[0].is_number()) {
        out->assign(expected_rows * width, 0.0f);
        for (size_t r = 0; r < expected_rows; ++r) {
            const gd::Variant& v = targets[int64_t(r)];
            const double label = v.is_number() ? v.as_double() : -1.0;
            if (!v.is_number() || label != std::floor(label) || label < 0 || label >= width) {
                *err = str("targets row ", r, " is ", v.describe(), ": expected a class label in [0, ", width,
                           ") or a row of ", width, " values");
                return false;
            }
            (*out)[r * width + size_t(label)] = 1.0f;
        }
        return true;
    }
    uint32_t w = width;
    return rows_to_matrix(targets, "targets", &w, out, err);
}

gd::PackedFloat32Array to_packed(const float* values, size_t n) {
    gd::PackedFloat32Array out;
    out.resize(int64_t(n));
    if (n) std::memcpy(out.data(), values, n * sizeof(float));
    return out;
}

gd::Array matrix_to_rows(const std::vector<float>& values, size_t rows, size_t width) {
    gd::Array out;
    for (size_t r = 0; r < rows; ++r) out.push_back(gd::Variant(to_packed(values.data() + r * width, width)));
    return out;
}

gd::Dictionary layer_description(const Layer& l) {
    gd::Dictionary d;
    d[gd::Variant("type")] = gd::Variant(l.type_name());
    d[gd::Variant("inputs")] = gd::Variant(int64_t(l.input_width()));
    d[gd::Variant("outputs")] = gd::Variant(int64_t(l.output_width()));
    d[gd::Variant("activation")] = gd::Variant(activation_info(l.activation()).name);
    d[gd::Variant("alpha")] = gd::Variant(double(l.alpha()));
    return d;
}

gd::Array per_layer_weights(const Network& net, const float* values) {
    gd::Array out;
    for (size_t i = 0; i < net.layer_count(); ++i) {
        const Layer& l = net.layer(i);
        const float* p = values + net.param_offset(i);
        const size_t w = size_t(l.input_width()) * l.output_width();
        gd::Dictionary d;
        d[gd::Variant("weight")] = gd::Variant(to_packed(p, w));
        d[gd::Variant("bias")] = gd::Variant(to_packed(p + w, l.output_width()));
        out.push_back(gd::Variant(d));
    }
    return out;
}

bool valid_device(const std::string& device) { return device == "auto" || device == "gpu" || device == "cpu"; }

}  // namespace lk::api
