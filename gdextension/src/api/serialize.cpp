// LearnKit.serialize: networks as JSON files (the model_file.hpp description; parameters as base64 of their
// little-endian float32 bytes, so a round trip is bit-exact).
#include "api/convert.hpp"
#include "api/factories.hpp"
#include "api/learnkit_data.hpp"
#include "api/model_file.hpp"
#include "godot/log.hpp"

namespace lk::api {

namespace {

// The offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF) or is a NUL, else n. Godot's own decoding replaces such bytes and goes on,
// so a corrupted op name or key would load as something the file does not say (found by
// tests/test_model_fuzz.py: a byte 0xED in the key "device" loaded the model with device "auto").
size_t bad_utf8_at(const uint8_t* b, size_t n) {
    for (size_t i = 0; i < n;) {
        const uint8_t c = b[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (c == 0 || len == 0 || i + len > n) return i;
        uint32_t cp = len == 1 ? c : c & (0x7F >> len);
        for (size_t k = 1; k < len; ++k) {
            if ((b[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (b[i + k] & 0x3F);
        }
        const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += len;
    }
    return n;
}

}  // namespace

int64_t LearnKitSerialize::export_network(const ExtRef<LKNetwork>& network, const gd::String& path) {
    const char* where = "serialize.export";
    if (!network) {
        push_error(where, "network is null: expected an LKNetwork");
        return gd::ERR_INVALID_PARAMETER;
    }
    const gd::Dictionary doc = network->get_model();
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
    const gd::PackedByteArray bytes = file->get_buffer(file->get_length());
    file->close();
    const size_t size = size_t(bytes.size());
    const size_t bad = size ? bad_utf8_at(bytes.data(), size) : 0;
    if (bad != size) {
        push_error(where, str("\"", p, "\" is not UTF-8 text (byte ", int(bytes.data()[bad]), " at offset ", bad,
                              "): expected a file written by LearnKit.serialize.export()"));
        return {};
    }
    const gd::Variant parsed =
        gd::JSON::parse_string(gd::String(std::string(reinterpret_cast<const char*>(bytes.data()), size)));
    if (parsed.get_type() != GDEXTENSION_VARIANT_TYPE_DICTIONARY) {
        push_error(where, str("\"", p, "\" is not a JSON object: expected a file written by "
                              "LearnKit.serialize.export()"));
        return {};
    }
    const gd::Dictionary doc = parsed.as_dictionary();
    ExtRef<LKNetwork> net = ExtRef<LKNetwork>::create();
    std::string err;
    if (!net->load_model(doc, &err)) {
        push_error(where, str("\"", p, "\" ", err));
        return {};
    }
    return net;
}

}  // namespace lk::api
