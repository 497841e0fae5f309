#include "api/data_files.hpp"

#include <algorithm>
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

std::string importer_of(const std::string& path) {
    if (path.rfind("res://", 0) != 0) return "";
    const gd::String import_file(path + ".import");
    if (!gd::FileAccess::file_exists(import_file)) return "";
    // The [remap] section's first key, e.g. importer="csv_translation"; Godot writes it on one line.
    const std::string text = gd::FileAccess::get_file_as_string(import_file).utf8();
    const std::string key = "importer=\"";
    const size_t at = text.find(key);
    if (at == std::string::npos) return "";
    const size_t end = text.find('"', at + key.size());
    return end == std::string::npos ? "" : text.substr(at + key.size(), end - at - key.size());
}

std::string export_import_note(const std::string& path) {
    const std::string importer = importer_of(path);
    if (importer.empty() || importer == "keep") return "";
    const std::string what = importer == "csv_translation" ? " (translations: the default for .csv files)" : "";
    return str("Godot imports it as \"", importer, "\"", what, ", so an exported game holds the imported resource, "
               "not this file. Select it in the FileSystem dock, set Import As to \"Keep File (exported as is)\" in "
               "the Import dock and click Reimport");
}

std::vector<std::string> folder_files(const std::string& folder) {
    const bool project = folder.rfind("res://", 0) == 0;
    const gd::PackedStringArray listed = gd::DirAccess::get_files_at(gd::String(folder));
    gd::Variant as_array;
    std::vector<std::string> out;
    if (!gd::Variant(listed).convert(GDEXTENSION_VARIANT_TYPE_ARRAY, &as_array)) return out;
    const gd::Array a = as_array.as_array();
    for (int64_t i = 0; i < a.size(); ++i) {
        std::string name = a[i].as_string().utf8();
        for (const char* suffix : {".import", ".remap"}) {
            const size_t n = std::char_traits<char>::length(suffix);
            if (project && name.size() > n && name.compare(name.size() - n, n, suffix) == 0) {
                name.resize(name.size() - n);
                break;
            }
        }
        out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
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
