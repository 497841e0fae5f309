#include "api/network_api.hpp"

#include <cstring>

#include "api/backends.hpp"
#include "api/convert.hpp"
#include "api/model_dict.hpp"
#include "core/validate.hpp"
#include "godot/log.hpp"

namespace lk::api {

gd::String LKDense::get_activation() const { return gd::String(activation_info(act).name); }

gd::Dictionary LKNetwork::get_model() const { return network_to_dict(*this); }

void LKNetwork::set_model(const gd::Dictionary& value) {
    std::string err;
    if (!network_from_dict(value, this, &err)) {
        const std::string path = gd::Resource(owner()).get_path().utf8();
        push_error("LKNetwork.model", path.empty() ? err : str("\"", path, "\": ", err));
        return;
    }
    gd::Resource(owner()).emit_changed();
}

void LKNetwork::set_device(const gd::String& value) {
    const std::string d = value.utf8();
    if (!valid_device(d)) {
        push_error("LKNetwork.device", str("unknown device \"", d, "\": expected \"auto\", \"gpu\" or \"cpu\""));
        return;
    }
    device = d;
}

gd::Array LKNetwork::get_layers() const {
    gd::Array out;
    for (size_t i = 0; i < net.layer_count(); ++i) out.push_back(gd::Variant(layer_description(net.layer(i))));
    return out;
}

gd::Array LKNetwork::get_parameters() const { return per_layer_weights(net, net.params().data()); }

int64_t LKNetwork::set_parameters(const gd::Array& parameters) {
    const char* where = "LKNetwork.set_parameters";
    if (size_t(parameters.size()) != net.layer_count()) {
        push_error(where, str("got ", parameters.size(), " layer entries, expected ", net.layer_count(),
                              " (one Dictionary {weight, bias} per layer)"));
        return gd::ERR_INVALID_PARAMETER;
    }
    std::vector<float> all(net.params());
    for (size_t i = 0; i < net.layer_count(); ++i) {
        const Layer& l = net.layer(i);
        const gd::Variant& entry = parameters[int64_t(i)];
        if (entry.get_type() != GDEXTENSION_VARIANT_TYPE_DICTIONARY) {
            push_error(where, str("entry ", i, " is ", entry.describe(), ": expected {\"weight\": ..., \"bias\": ...}"));
            return gd::ERR_INVALID_PARAMETER;
        }
        gd::Dictionary d = entry.as_dictionary();
        const size_t sizes[2] = {size_t(l.input_width()) * l.output_width(), l.output_width()};
        const char* keys[2] = {"weight", "bias"};
        size_t off = net.param_offset(i);
        for (int k = 0; k < 2; ++k) {
            gd::Variant value, converted;
            if (!d.lookup(gd::Variant(keys[k]), &value) ||
                !value.convert(GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY, &converted)) {
                push_error(where, str("layer ", i, " has no \"", keys[k], "\" array of numbers"));
                return gd::ERR_INVALID_PARAMETER;
            }
            gd::PackedFloat32Array a = converted.as_packed_float32_array();
            if (size_t(a.size()) != sizes[k]) {
                push_error(where, str("layer ", i, " \"", keys[k], "\" has ", a.size(), " values, expected ", sizes[k],
                                      k == 0 ? str(" (", l.output_width(), " x ", l.input_width(), ", out x in)") : ""));
                return gd::ERR_INVALID_PARAMETER;
            }
            const std::string bad = check_finite(str("layer ", i, " ", keys[k]), a.data(), sizes[k], 0);
            if (!bad.empty()) {
                push_error(where, bad);
                return gd::ERR_INVALID_PARAMETER;
            }
            if (sizes[k]) std::memcpy(all.data() + off, a.data(), sizes[k] * sizeof(float));
            off += sizes[k];
        }
    }
    std::string err;
    if (!net.set_params(all.data(), all.size(), &err)) {
        push_error(where, err);
        return gd::ERR_INVALID_PARAMETER;
    }
    return gd::OK;
}

bool LKNetwork::run_forward(const std::vector<float>& X, size_t rows, std::vector<float>* Y, const char* where) {
    const std::string problem = net.validate();
    if (!problem.empty()) {
        push_error(where, problem);
        return false;
    }
    Backend* backend = choose_backend(device, net, rows, where);
    if (!backend) return false;
    std::string err;
    if (!runner_.predict(net, X.data(), rows, *backend, Y, &err)) {
        push_error(where, err);
        return false;
    }
    note_used(*backend);
    return true;
}

gd::Array LKNetwork::predict(const gd::Array& inputs) {
    const char* where = "LKNetwork.predict";
    uint32_t width = net.input_width();
    std::vector<float> X, Y;
    std::string err;
    if (!rows_to_matrix(inputs, "inputs", &width, &X, &err)) {
        push_error(where, err);
        return gd::Array();
    }
    const size_t rows = X.size() / width;
    if (!run_forward(X, rows, &Y, where)) return gd::Array();
    return matrix_to_rows(Y, rows, net.output_width());
}

gd::PackedFloat32Array LKNetwork::predict_flat(const gd::PackedFloat32Array& data, int64_t rows) {
    const char* where = "LKNetwork.predict_flat";
    const std::string bad = check_matrix("data", data.data(), size_t(data.size()), rows > 0 ? size_t(rows) : 0,
                                         net.input_width());
    if (rows <= 0 || !bad.empty()) {
        push_error(where, rows <= 0 ? str("rows is ", rows, ": expected a positive row count") : bad);
        return gd::PackedFloat32Array();
    }
    std::vector<float> X(data.data(), data.data() + data.size()), Y;
    if (!run_forward(X, size_t(rows), &Y, where)) return gd::PackedFloat32Array();
    return to_packed(Y.data(), Y.size());
}

}  // namespace lk::api
