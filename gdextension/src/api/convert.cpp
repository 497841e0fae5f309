#include "api/convert.hpp"

#include <cmath>
#include <cstring>

#include "api/network_api.hpp"
#include "core/f32.hpp"
#include "core/validate.hpp"
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
                out->push_back(to_f32(v.as_double()));
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

gd::Array layer_view(const Model& m) {
    gd::Array out;
    std::vector<bool> absorbed(m.op_count(), false);
    for (size_t i = 0; i < m.op_count(); ++i) {
        if (absorbed[i]) continue;
        const OpNode& n = m.node(i);
        gd::Dictionary d;
        d[gd::Variant("type")] = gd::Variant(n.op->type());
        d[gd::Variant("name")] = gd::Variant(n.name);
        if (std::string(n.op->type()) == "dense" && !n.in_shapes.empty()) {
            d[gd::Variant("inputs")] = gd::Variant(int64_t(n.in_shapes[0].size()));
            d[gd::Variant("outputs")] = gd::Variant(int64_t(m.tensor(n.output).shape.size()));
            Activation act = Activation::IDENTITY;
            ActParams params;
            const auto& readers = m.tensor(n.output).consumers;
            if (readers.size() == 1 && n.output != m.output() && m.op(size_t(readers[0])).activation(&act, &params)) {
                absorbed[size_t(readers[0])] = true;
            }
            const ActivationInfo& info = activation_info(act);
            d[gd::Variant("activation")] = gd::Variant(info.name);
            // "alpha": the parameter of that name (0 when the activation has none), as LKDense.alpha; then every
            // parameter by its own name.
            double alpha = 0.0;
            for (int k = 0; k < info.param_count; ++k) {
                if (std::string(info.param_names[k]) == "alpha") alpha = params.p[k];
            }
            d[gd::Variant("alpha")] = gd::Variant(alpha);
            for (int k = 0; k < info.param_count; ++k) {
                d[gd::Variant(info.param_names[k])] = gd::Variant(double(params.p[k]));
            }
        } else {
            d[gd::Variant("settings")] = gd::Variant(attrs_to_dict(n.op->attrs()));
        }
        out.push_back(gd::Variant(d));
    }
    return out;
}

gd::Array per_op_tensors(const Model& m, const float* grads) {
    gd::Array out;
    for (size_t i = 0; i < m.op_count(); ++i) {
        const OpNode& n = m.node(i);
        if (n.params.empty()) continue;
        gd::Dictionary d;
        for (size_t k = 0; k < n.params.size(); ++k) {
            const ParamDesc& p = n.params[k];
            if (grads && !p.trainable) continue;
            const float* v = grads ? grads + n.offsets[k] : m.param_data(i, k);
            d[gd::Variant(p.name)] = gd::Variant(to_packed(v, size_t(p.shape.size())));
        }
        out.push_back(gd::Variant(d));
    }
    return out;
}

bool tensors_from_array(const Model& m, const gd::Array& entries, std::vector<float>* params,
                        std::vector<float>* buffers, std::string* err) {
    size_t with_params = 0;
    for (size_t i = 0; i < m.op_count(); ++i) with_params += m.node(i).params.empty() ? 0 : 1;
    if (size_t(entries.size()) != with_params) {
        *err = str("got ", entries.size(), " entries, expected ", with_params,
                   " (one Dictionary per op with parameters, as get_parameters() returns)");
        return false;
    }
    int64_t e = 0;
    for (size_t i = 0; i < m.op_count(); ++i) {
        const OpNode& n = m.node(i);
        if (n.params.empty()) continue;
        const gd::Variant& entry = entries[e];
        const std::string who = str("entry ", e, " (", n.name, ")");
        ++e;
        if (entry.get_type() != GDEXTENSION_VARIANT_TYPE_DICTIONARY) {
            std::string names;
            for (const ParamDesc& p : n.params) names += str(names.empty() ? "" : ", ", "\"", p.name, "\"");
            *err = str(who, " is ", entry.describe(), ": expected a Dictionary with ", names);
            return false;
        }
        gd::Dictionary d = entry.as_dictionary();
        for (size_t k = 0; k < n.params.size(); ++k) {
            const ParamDesc& p = n.params[k];
            gd::Variant value, converted;
            const bool present = d.lookup(gd::Variant(p.name), &value);
            if (!present && !p.trainable) continue;  // buffers are optional
            if (!present || !value.convert(GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY, &converted)) {
                *err = str(who, " has no \"", p.name, "\" array of numbers");
                return false;
            }
            gd::PackedFloat32Array a = converted.as_packed_float32_array();
            const size_t count = size_t(p.shape.size());
            if (size_t(a.size()) != count) {
                *err = str(who, " \"", p.name, "\" has ", a.size(), " values, expected ", count,
                           p.shape.rank == 2 ? str(" (", p.shape.dims[0], " x ", p.shape.dims[1], ", out x in)") : "");
                return false;
            }
            const std::string bad = check_finite(str(who, " ", p.name), a.data(), count, 0);
            if (!bad.empty()) {
                *err = bad;
                return false;
            }
            float* dst = (p.trainable ? params->data() : buffers->data()) + n.offsets[k];
            if (count) std::memcpy(dst, a.data(), count * sizeof(float));
        }
    }
    return true;
}

bool valid_device(const std::string& device) { return device == "auto" || device == "gpu" || device == "cpu"; }

}  // namespace lk::api
