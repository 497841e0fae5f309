#include "api/data_files.hpp"

#include <cmath>

#include "godot/log.hpp"

namespace lk::api {

bool read_file_bytes(const gd::String& path, std::string* out, std::string* err) {
    gd::Ref<gd::FileAccess> file = gd::FileAccess::open(path, gd::FileAccess::READ);
    if (!file) {
        *err = str("cannot open \"", path.utf8(), "\" (Error ", gd::FileAccess::get_open_error(), ")");
        return false;
    }
    const gd::PackedByteArray bytes = file->get_buffer(file->get_length());
    file->close();
    out->assign(reinterpret_cast<const char*>(bytes.data()), size_t(bytes.size()));
    return true;
}

bool as_whole(const gd::Variant& v, int64_t* out) {
    if (v.get_type() == GDEXTENSION_VARIANT_TYPE_INT) {
        *out = v.as_int();
        return true;
    }
    if (v.get_type() != GDEXTENSION_VARIANT_TYPE_FLOAT) return false;
    const double d = v.as_double();
    if (!(std::fabs(d) <= 9007199254740992.0) || d != std::floor(d)) return false;
    *out = int64_t(d);
    return true;
}

std::string unknown_option(const gd::Dictionary& options, const char* known) {
    const std::string list = str(", ", known, ",");
    const gd::Array keys = options.keys();
    for (int64_t k = 0; k < keys.size(); ++k) {
        const bool text = keys[k].get_type() == GDEXTENSION_VARIANT_TYPE_STRING;
        if (!text || list.find(str(", ", keys[k].as_string().utf8(), ",")) == std::string::npos) {
            const std::string key = text ? str("\"", keys[k].describe(), "\"") : keys[k].describe();
            return str("unknown option ", key, ": expected one of ", known);
        }
    }
    return "";
}

}  // namespace lk::api
