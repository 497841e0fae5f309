// LearnKit.serialize: networks as files. JSON (the model_file.hpp description; parameters as base64 of their
// little-endian float32 bytes, so a round trip is bit-exact) and binary .lkm (model_binary.hpp: the same
// Dictionary, raw float32). Every save goes through a temporary file renamed over the target
// (core/atomic_write.hpp), so a crash mid-save leaves the previous file as it was.
#include <cctype>
#include <cstring>
#include <vector>

#include "api/convert.hpp"
#include "api/factories.hpp"
#include "api/learnkit_data.hpp"
#include "api/model_binary.hpp"
#include "api/model_file.hpp"
#include "core/atomic_write.hpp"
#include "core/binary_container.hpp"
#include "core/sizes.hpp"
#include "godot/log.hpp"

namespace lk::api {

namespace {

enum class Format { JSON, BINARY, UNKNOWN };

Format format_of(const std::string& path) {
    const auto ends = [&](const char* ext) {
        const size_t n = std::char_traits<char>::length(ext);
        if (path.size() < n) return false;
        for (size_t i = 0; i < n; ++i) {
            if (std::tolower(static_cast<unsigned char>(path[path.size() - n + i])) != ext[i]) return false;
        }
        return true;
    };
    return ends(".lkm") ? Format::BINARY : ends(".json") ? Format::JSON : Format::UNKNOWN;
}

std::string json_text(const LKNetwork& network) {
    const gd::Dictionary doc = network.get_model();
    return gd::JSON::stringify(gd::Variant(doc), gd::String("  "), false, true).utf8();
}

// Writes bytes to path atomically; an Error and a push_error naming `where` and the path on failure.
int64_t save_bytes(const char* where, const gd::String& path, const uint8_t* data, size_t n) {
    if (path.length() == 0) {
        push_error(where, "path is empty: expected a file path such as \"user://model.lkm\"");
        return gd::ERR_INVALID_PARAMETER;
    }
    const std::string target = gd::ProjectSettings::singleton().globalize_path(path).utf8();
    const std::string e = write_file_atomic(target, data, n);
    if (!e.empty()) {
        push_error(where, str("could not save \"", path.utf8(), "\": ", e, "; the file there, if any, is unchanged"));
        return gd::ERR_FILE_CANT_WRITE;
    }
    return gd::OK;
}

// The whole file, or false after an error.
bool read_bytes(const char* where, const gd::String& path, const char* expected, gd::PackedByteArray* out) {
    gd::Ref<gd::FileAccess> file = gd::FileAccess::open(path, gd::FileAccess::READ);
    if (!file) {
        push_error(where, str("cannot open \"", path.utf8(), "\" (Error ", gd::FileAccess::get_open_error(),
                              "): expected ", expected));
        return false;
    }
    // Checked before reading: get_buffer() allocates what it is asked for.
    const int64_t length = file->get_length();
    if (length < 0 || uint64_t(length) > kMaxFloats * 4) {
        push_error(where, str("\"", path.utf8(), "\" has ", length, " bytes: more than any model LearnKit can load (",
                              kMaxFloats * 4, ")"));
        return false;
    }
    *out = file->get_buffer(length);
    file->close();
    if (out->size() != length) {
        push_error(where, str("could read only ", out->size(), " of the ", length, " bytes of \"", path.utf8(), "\""));
        return false;
    }
    return true;
}

ExtRef<LKNetwork> network_from_json(const char* where, const std::string& p, const gd::PackedByteArray& bytes) {
    const size_t size = size_t(bytes.size());
    // Godot's own decoding replaces bytes that are not UTF-8 and goes on, so a corrupted op name or key would
    // load as something the file does not say (found by tests/test_model_fuzz.py: a byte 0xED in the key
    // "device" loaded the model with device "auto").
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
    ExtRef<LKNetwork> net = ExtRef<LKNetwork>::create();
    std::string err;
    if (!net->load_model(parsed.as_dictionary(), &err)) {
        push_error(where, str("\"", p, "\" ", err));
        return {};
    }
    return net;
}

ExtRef<LKNetwork> network_from_binary(const char* where, const std::string& name, const uint8_t* data,
                                      size_t size) {
    ExtRef<LKNetwork> net = ExtRef<LKNetwork>::create();
    std::string err;
    gd::Dictionary doc;
    if (!model_from_binary(data, size, &doc, &err) || !net->load_model(doc, &err)) {
        push_error(where, str(name, " ", err));
        return {};
    }
    return net;
}

}  // namespace

int64_t LearnKitSerialize::export_network(const ExtRef<LKNetwork>& network, const gd::String& path) {
    const char* where = "serialize.export";
    if (!network) {
        push_error(where, "network is null: expected an LKNetwork");
        return gd::ERR_INVALID_PARAMETER;
    }
    const std::string text = json_text(*network.get());
    return save_bytes(where, path, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

ExtRef<LKNetwork> LearnKitSerialize::import_network(const gd::String& path) {
    gd::PackedByteArray bytes;
    if (!read_bytes("serialize.import", path, "a file written by LearnKit.serialize.export()", &bytes)) return {};
    return network_from_json("serialize.import", path.utf8(), bytes);
}

int64_t LearnKitSerialize::save(const ExtRef<LKNetwork>& network, const gd::String& path) {
    const char* where = "serialize.save";
    if (!network) {
        push_error(where, "network is null: expected an LKNetwork");
        return gd::ERR_INVALID_PARAMETER;
    }
    const std::string p = path.utf8();
    const Format f = format_of(p);
    if (f == Format::UNKNOWN) {
        push_error(where, str("path \"", p, "\" has no known extension: expected \".lkm\" (binary) or \".json\""));
        return gd::ERR_INVALID_PARAMETER;
    }
    if (f == Format::JSON) {
        const std::string text = json_text(*network.get());
        return save_bytes(where, path, reinterpret_cast<const uint8_t*>(text.data()), text.size());
    }
    std::vector<uint8_t> bytes;
    std::string err;
    if (!model_to_binary(network->model_doc(true), &bytes, &err)) {
        push_error(where, err);
        return gd::ERR_INVALID_DATA;
    }
    return save_bytes(where, path, bytes.data(), bytes.size());
}

ExtRef<LKNetwork> LearnKitSerialize::load(const gd::String& path) {
    const char* where = "serialize.load";
    const std::string p = path.utf8();
    const Format f = format_of(p);
    if (f == Format::UNKNOWN) {
        push_error(where, str("path \"", p, "\" has no known extension: expected \".lkm\" (binary) or \".json\""));
        return {};
    }
    gd::PackedByteArray bytes;
    if (!read_bytes(where, path, "a file written by LearnKit.serialize.save()", &bytes)) return {};
    if (f == Format::JSON) return network_from_json(where, p, bytes);
    return network_from_binary(where, str("\"", p, "\""), bytes.data(), size_t(bytes.size()));
}

gd::PackedByteArray LearnKitSerialize::to_bytes(const ExtRef<LKNetwork>& network) {
    const char* where = "serialize.to_bytes";
    if (!network) {
        push_error(where, "network is null: expected an LKNetwork");
        return {};
    }
    std::vector<uint8_t> bytes;
    std::string err;
    if (!model_to_binary(network->model_doc(true), &bytes, &err)) {
        push_error(where, err);
        return {};
    }
    gd::PackedByteArray out;
    out.resize(int64_t(bytes.size()));
    std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
}

ExtRef<LKNetwork> LearnKitSerialize::from_bytes(const gd::PackedByteArray& bytes) {
    return network_from_binary("serialize.from_bytes", "the bytes", bytes.data(), size_t(bytes.size()));
}

}  // namespace lk::api
