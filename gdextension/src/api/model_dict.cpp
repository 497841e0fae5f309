#include "api/model_dict.hpp"

#include <cmath>
#include <cstring>

#include "api/convert.hpp"
#include "core/validate.hpp"
#include "godot/log.hpp"

namespace lk::api {

namespace {
constexpr const char* FORMAT = "learnkit.network";
constexpr int64_t VERSION = 1;
constexpr double MAX_WIDTH = double(1 << 24);
const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(const float* values, size_t n) {
    const uint8_t* b = reinterpret_cast<const uint8_t*>(values);
    const size_t len = n * 4;
    std::string out;
    out.reserve((len + 2) / 3 * 4);
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = uint32_t(b[i]) << 16;
        if (i + 1 < len) v |= uint32_t(b[i + 1]) << 8;
        if (i + 2 < len) v |= b[i + 2];
        out += B64[(v >> 18) & 63];
        out += B64[(v >> 12) & 63];
        out += i + 1 < len ? B64[(v >> 6) & 63] : '=';
        out += i + 2 < len ? B64[v & 63] : '=';
    }
    return out;
}

bool unbase64(const std::string& text, std::vector<float>* out) {
    if (text.size() % 4) return false;
    std::vector<uint8_t> bytes;
    bytes.reserve(text.size() / 4 * 3);
    for (size_t i = 0; i < text.size(); i += 4) {
        uint32_t v = 0;
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = text[i + k];
            const char* p = c == '=' ? nullptr : std::strchr(B64, c);
            if (c == '=') ++pad;
            else if (!p || !c || pad) return false;
            v = (v << 6) | uint32_t(p ? p - B64 : 0);
        }
        if (pad && i + 4 != text.size()) return false;
        bytes.push_back(uint8_t(v >> 16));
        if (pad < 2) bytes.push_back(uint8_t(v >> 8));
        if (pad < 1) bytes.push_back(uint8_t(v));
    }
    if (bytes.size() % 4) return false;
    out->resize(bytes.size() / 4);
    if (!bytes.empty()) std::memcpy(out->data(), bytes.data(), bytes.size());
    return true;
}

gd::Variant get(const gd::Dictionary& d, const char* key) {
    gd::Variant v;
    d.lookup(gd::Variant(key), &v);
    return v;
}

// A whole number in [1, MAX_WIDTH] (an int, or a float from JSON).
bool width(const gd::Variant& v, uint32_t* out) {
    if (!v.is_number()) return false;
    const double d = v.as_double();
    if (!(d >= 1 && d <= MAX_WIDTH) || d != std::floor(d)) return false;
    *out = uint32_t(d);
    return true;
}

// One layer entry: appended to *net, its weight then bias appended to *params.
bool read_layer(const gd::Variant& entry, size_t i, Network* net, std::vector<float>* params, std::string* err) {
    const std::string at = str("layers[", i, "]");
    if (entry.get_type() != GDEXTENSION_VARIANT_TYPE_DICTIONARY) {
        *err = str(at, " is ", entry.describe(), ": expected a Dictionary");
        return false;
    }
    const gd::Dictionary l = entry.as_dictionary();
    const gd::Variant type = get(l, "type"), in = get(l, "inputs"), out = get(l, "outputs"),
                      act = get(l, "activation"), alpha = get(l, "alpha");
    if (!type.is_nil() && (type.get_type() != GDEXTENSION_VARIANT_TYPE_STRING || type.as_string().utf8() != "dense")) {
        *err = str(at, ".type is ", type.describe(), ": expected \"dense\"");
        return false;
    }
    uint32_t n_in = 0, n_out = 0;
    if (!width(in, &n_in) || !width(out, &n_out)) {
        *err = str(at, " has inputs ", in.describe(), " and outputs ", out.describe(),
                   ": expected whole numbers from 1 to ", int64_t(MAX_WIDTH));
        return false;
    }
    Activation a = Activation::IDENTITY;
    if (act.get_type() != GDEXTENSION_VARIANT_TYPE_STRING || !activation_from_name(act.as_string().utf8(), &a)) {
        *err = str(at, ".activation is ", act.describe(), ": expected an activation name such as \"relu\"");
        return false;
    }
    if (!alpha.is_number() || !std::isfinite(alpha.as_double())) {
        *err = str(at, ".alpha is ", alpha.describe(), ": expected a finite number");
        return false;
    }
    const char* keys[2] = {"weight_f32_base64", "bias_f32_base64"};
    const size_t sizes[2] = {size_t(n_in) * n_out, n_out};
    for (int k = 0; k < 2; ++k) {
        const gd::Variant text = get(l, keys[k]);
        std::vector<float> values;
        if (text.get_type() != GDEXTENSION_VARIANT_TYPE_STRING || !unbase64(text.as_string().utf8(), &values)) {
            *err = str(at, ".", keys[k], " is not base64 of float32 values (got ", text.describe(), ")");
            return false;
        }
        if (values.size() != sizes[k]) {
            *err = str(at, ".", keys[k], " has ", values.size(), " values, expected ", sizes[k],
                       k == 0 ? str(" (outputs ", n_out, " x inputs ", n_in, ")") : std::string());
            return false;
        }
        const std::string bad = check_finite(str(at, ".", keys[k]), values.data(), values.size(), 0);
        if (!bad.empty()) {
            *err = bad;
            return false;
        }
        params->insert(params->end(), values.begin(), values.end());
    }
    net->add_dense(n_in, n_out, a, float(alpha.as_double()));
    return true;
}
}  // namespace

gd::Dictionary network_to_dict(const LKNetwork& network) {
    const Network& net = network.net;
    gd::Array layers;
    for (size_t i = 0; i < net.layer_count(); ++i) {
        const Layer& l = net.layer(i);
        const float* p = net.params().data() + net.param_offset(i);
        const size_t w = size_t(l.input_width()) * l.output_width();
        gd::Dictionary d = layer_description(l);
        d[gd::Variant("weight_f32_base64")] = gd::Variant(base64(p, w));
        d[gd::Variant("bias_f32_base64")] = gd::Variant(base64(p + w, l.output_width()));
        layers.push_back(gd::Variant(d));
    }
    gd::Dictionary doc;
    doc[gd::Variant("format")] = gd::Variant(FORMAT);
    doc[gd::Variant("version")] = gd::Variant(VERSION);
    doc[gd::Variant("device")] = gd::Variant(network.device);
    doc[gd::Variant("layers")] = gd::Variant(layers);
    return doc;
}

bool network_from_dict(const gd::Dictionary& model, LKNetwork* network, std::string* err) {
    const gd::Variant format = get(model, "format");
    if (format.get_type() != GDEXTENSION_VARIANT_TYPE_STRING || format.as_string().utf8() != FORMAT) {
        *err = str("format is ", format.describe(), ": expected \"", FORMAT, "\" (not a LearnKit network)");
        return false;
    }
    const gd::Variant version = get(model, "version");
    if (!version.is_number() || version.as_double() != double(VERSION)) {
        *err = str("version is ", version.describe(), ": expected ", VERSION);
        return false;
    }
    std::string device = "auto";
    const gd::Variant dev = get(model, "device");
    if (!dev.is_nil()) {
        device = dev.get_type() == GDEXTENSION_VARIANT_TYPE_STRING ? dev.as_string().utf8() : std::string();
        if (!valid_device(device)) {
            *err = str("device is ", dev.describe(), ": expected \"auto\", \"gpu\" or \"cpu\"");
            return false;
        }
    }
    const gd::Variant layers_v = get(model, "layers");
    if (layers_v.get_type() != GDEXTENSION_VARIANT_TYPE_ARRAY) {
        *err = str("layers is ", layers_v.describe(), ": expected an Array of layer Dictionaries");
        return false;
    }
    const gd::Array layers = layers_v.as_array();
    Network net;
    std::vector<float> params;
    for (int64_t i = 0; i < layers.size(); ++i) {
        if (!read_layer(layers[i], size_t(i), &net, &params, err)) return false;
    }
    if (net.layer_count()) {
        const std::string problem = net.validate();
        if (!problem.empty()) {
            *err = problem;
            return false;
        }
        if (!net.set_params(params.data(), params.size(), err)) return false;
    }
    network->net = std::move(net);
    network->device = device;
    return true;
}

}  // namespace lk::api
