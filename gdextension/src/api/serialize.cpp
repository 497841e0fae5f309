// LearnKit.serialize: networks as JSON files. Parameters are stored as base64 of their little-endian float32
// bytes, so a round trip is bit-exact (decimal text would need 9 significant digits per value and care).
#include <cmath>
#include <cstring>

#include "api/convert.hpp"
#include "api/factories.hpp"
#include "api/learnkit_data.hpp"
#include "godot/log.hpp"

namespace lk::api {

namespace {
constexpr const char* FORMAT = "learnkit.network";
constexpr int64_t VERSION = 1;
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
}  // namespace

int64_t LearnKitSerialize::export_network(const ExtRef<LKNetwork>& network, const gd::String& path) {
    const char* where = "serialize.export";
    if (!network) {
        push_error(where, "network is null: expected an LKNetwork");
        return gd::ERR_INVALID_PARAMETER;
    }
    const Network& net = network->net;
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
    doc[gd::Variant("device")] = gd::Variant(network->device);
    doc[gd::Variant("layers")] = gd::Variant(layers);
    gd::String text = gd::JSON::stringify(gd::Variant(doc), gd::String("  "), false, true);
    gd::Ref<gd::FileAccess> file = gd::FileAccess::open(path, gd::FileAccess::WRITE);
    if (!file) {
        const int64_t e = gd::FileAccess::get_open_error();
        push_error(where, str("cannot open \"", path.utf8(), "\" for writing (Error ", e, ")"));
        return e ? e : gd::FAILED;
    }
    const bool ok = file->store_string(text);
    file->close();
    if (!ok) {
        push_error(where, str("could not write \"", path.utf8(), "\""));
        return gd::ERR_FILE_CANT_WRITE;
    }
    return gd::OK;
}

ExtRef<LKNetwork> LearnKitSerialize::import_network(const gd::String& path) {
    const char* where = "serialize.import";
    const std::string p = path.utf8();
    gd::Ref<gd::FileAccess> file = gd::FileAccess::open(path, gd::FileAccess::READ);
    if (!file) {
        push_error(where, str("cannot open \"", p, "\" (Error ", gd::FileAccess::get_open_error(),
                              "): expected a file written by LearnKit.serialize.export()"));
        return {};
    }
    gd::String text = file->get_as_text();
    file->close();
    const gd::Variant parsed = gd::JSON::parse_string(text);
    gd::Dictionary doc;
    if (parsed.get_type() == GDEXTENSION_VARIANT_TYPE_DICTIONARY) doc = parsed.as_dictionary();
    const gd::Variant format = get(doc, "format");
    if (format.get_type() != GDEXTENSION_VARIANT_TYPE_STRING || format.as_string().utf8() != FORMAT) {
        push_error(where, str("\"", p, "\" is not a LearnKit network file (expected JSON with \"format\": \"", FORMAT,
                              "\")"));
        return {};
    }
    const gd::Variant version = get(doc, "version");
    if (!version.is_number() || version.as_double() != double(VERSION)) {
        push_error(where, str("\"", p, "\" has version ", version.describe(), ", expected ", VERSION));
        return {};
    }
    const gd::Variant layers_v = get(doc, "layers");
    if (layers_v.get_type() != GDEXTENSION_VARIANT_TYPE_ARRAY) {
        push_error(where, str("\"", p, "\" has no \"layers\" array"));
        return {};
    }
    gd::Array layers = layers_v.as_array();
    std::vector<DenseDesc> descs;
    std::vector<float> params;
    for (int64_t i = 0; i < layers.size(); ++i) {
        gd::Dictionary l = layers[i].get_type() == GDEXTENSION_VARIANT_TYPE_DICTIONARY ? layers[i].as_dictionary()
                                                                                      : gd::Dictionary();
        const gd::Variant in = get(l, "inputs"), out = get(l, "outputs"), act = get(l, "activation"),
                          alpha = get(l, "alpha"), w = get(l, "weight_f32_base64"), b = get(l, "bias_f32_base64");
        DenseDesc d;
        bool ok = in.is_number() && out.is_number() && alpha.is_number() && in.as_double() >= 1 &&
                  out.as_double() >= 1 && in.as_double() <= double(1 << 24) && out.as_double() <= double(1 << 24) &&
                  act.get_type() == GDEXTENSION_VARIANT_TYPE_STRING &&
                  w.get_type() == GDEXTENSION_VARIANT_TYPE_STRING && b.get_type() == GDEXTENSION_VARIANT_TYPE_STRING;
        std::vector<float> wv, bv;
        if (ok) {
            d = {uint32_t(in.as_double()), uint32_t(out.as_double()), Activation::IDENTITY, float(alpha.as_double())};
            ok = activation_from_name(act.as_string().utf8(), &d.act) && unbase64(w.as_string().utf8(), &wv) &&
                 unbase64(b.as_string().utf8(), &bv) && wv.size() == size_t(d.in) * d.out && bv.size() == d.out;
        }
        if (!ok) {
            push_error(where, str("\"", p, "\" layer ", i, " is corrupt: expected inputs, outputs, activation, alpha "
                                  "and base64 weight/bias of matching sizes"));
            return {};
        }
        descs.push_back(d);
        params.insert(params.end(), wv.begin(), wv.end());
        params.insert(params.end(), bv.begin(), bv.end());
    }
    std::string device = "auto";
    const gd::Variant dev = get(doc, "device");
    if (dev.get_type() == GDEXTENSION_VARIANT_TYPE_STRING) device = dev.as_string().utf8();
    if (!valid_device(device)) device = "auto";
    ExtRef<LKNetwork> net = make_network(descs, Init::KAIMING, 0, device, where);
    if (!net) return {};
    std::string err;
    if (!net->net.set_params(params.data(), params.size(), &err)) {
        push_error(where, str("\"", p, "\": ", err));
        return {};
    }
    return net;
}

}  // namespace lk::api
