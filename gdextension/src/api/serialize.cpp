// LearnKit.serialize: networks as JSON files, the JSON.stringify of LKNetwork.model (api/model_dict.hpp), so a
// JSON file and a .tres/.res resource hold the same Dictionary and round-trip bit for bit alike.
#include "api/learnkit_data.hpp"
#include "api/model_dict.hpp"
#include "godot/log.hpp"

namespace lk::api {

int64_t LearnKitSerialize::export_network(const ExtRef<LKNetwork>& network, const gd::String& path) {
    const char* where = "serialize.export";
    if (!network) {
        push_error(where, "network is null: expected an LKNetwork");
        return gd::ERR_INVALID_PARAMETER;
    }
    gd::String text = gd::JSON::stringify(gd::Variant(network_to_dict(*network.get())), gd::String("  "), false, true);
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
    if (parsed.get_type() != GDEXTENSION_VARIANT_TYPE_DICTIONARY) {
        push_error(where, str("\"", p, "\" is not a LearnKit network file: expected a JSON object written by "
                              "LearnKit.serialize.export()"));
        return {};
    }
    ExtRef<LKNetwork> net = ExtRef<LKNetwork>::create();
    std::string err;
    if (!network_from_dict(parsed.as_dictionary(), net.get(), &err)) {
        push_error(where, str("\"", p, "\": ", err));
        return {};
    }
    return net;
}

}  // namespace lk::api
