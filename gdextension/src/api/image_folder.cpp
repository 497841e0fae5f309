// LearnKit.data.load_image_folder(): one sub-folder of images per class, read through Godot (api/image_source.hpp:
// imported res:// images through ResourceLoader, so exported games work) and turned into CHW rows by
// core/image_rows.hpp.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "api/convert.hpp"
#include "api/data_files.hpp"
#include "api/image_source.hpp"
#include "api/learnkit_data.hpp"
#include "core/image_rows.hpp"
#include "core/sizes.hpp"
#include "godot/log.hpp"

namespace lk::api {

namespace {

constexpr const char* kImageOptions = "width, height, channels, mean, std, extensions";

std::vector<std::string> sorted_names(const gd::PackedStringArray& names) {
    gd::Variant as_array;
    std::vector<std::string> out;
    if (!gd::Variant(names).convert(GDEXTENSION_VARIANT_TYPE_ARRAY, &as_array)) return out;
    const gd::Array a = as_array.as_array();
    for (int64_t i = 0; i < a.size(); ++i) out.push_back(a[i].as_string().utf8());
    std::sort(out.begin(), out.end());
    return out;
}

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// A per-channel value: a number for every channel, or an Array of one number per channel.
bool per_channel(const gd::Variant& v, int channels, double fallback, bool positive, std::vector<float>* out,
                 std::string* err, const char* key) {
    out->assign(size_t(channels), float(fallback));
    if (v.is_nil()) return true;
    if (v.is_number()) {
        out->assign(size_t(channels), float(v.as_double()));
    } else if (v.get_type() == GDEXTENSION_VARIANT_TYPE_ARRAY && v.as_array().size() == channels) {
        const gd::Array a = v.as_array();
        for (int c = 0; c < channels; ++c) (*out)[size_t(c)] = a[c].is_number() ? float(a[c].as_double()) : NAN;
    } else {
        *err = str("option ", key, " is ", v.describe(), ": expected a number or an Array of ", channels, " numbers");
        return false;
    }
    for (float x : *out) {
        if (!std::isfinite(x) || (positive && !(x > 0.0f))) {
            *err = str("option ", key, " is ", v.describe(), ": expected finite", positive ? ", positive" : "", " numbers");
            return false;
        }
    }
    return true;
}

bool whole_option(const gd::Dictionary& o, const char* key, int64_t lo, int64_t hi, int64_t* out, std::string* err) {
    gd::Variant v;
    if (!o.lookup(gd::Variant(key), &v)) return true;
    if (!as_whole(v, out) || *out < lo || *out > hi) {
        *err = str("option ", key, " is ", v.describe(), ": expected an int in [", lo, ", ", hi, "]");
        return false;
    }
    return true;
}

}  // namespace

gd::Dictionary LearnKitData::load_image_folder(const gd::String& path, const gd::Dictionary& options) {
    const char* where = "data.load_image_folder";
    const std::string root = path.utf8();
    std::string err = unknown_option(options, kImageOptions);
    int64_t width = 0, height = 0, channels = 3;
    constexpr int64_t kMaxSide = 16384;  // Godot's own image limit is larger; rows this wide are already huge
    if (err.empty() && whole_option(options, "width", 1, kMaxSide, &width, &err) &&
        whole_option(options, "height", 1, kMaxSide, &height, &err) &&
        whole_option(options, "channels", 1, 3, &channels, &err) && channels == 2) {
        err = "option channels is 2: expected 1 (grayscale) or 3 (RGB)";
    }
    if (err.empty() && (width == 0) != (height == 0)) err = "options width and height go together: give both or neither";
    gd::Variant mean_v, std_v, ext_v;
    options.lookup(gd::Variant("mean"), &mean_v);
    options.lookup(gd::Variant("std"), &std_v);
    std::vector<float> mean, stdev;
    if (err.empty() && per_channel(mean_v, int(channels), 0.0, false, &mean, &err, "mean")) {
        per_channel(std_v, int(channels), 1.0, true, &stdev, &err, "std");
    }
    std::vector<std::string> extensions = {"png", "jpg", "jpeg", "webp", "bmp", "tga"};
    if (err.empty() && options.lookup(gd::Variant("extensions"), &ext_v)) {
        extensions.clear();
        const gd::Array a = ext_v.get_type() == GDEXTENSION_VARIANT_TYPE_ARRAY ? ext_v.as_array() : gd::Array();
        for (int64_t i = 0; i < a.size(); ++i) {
            if (a[i].get_type() == GDEXTENSION_VARIANT_TYPE_STRING) extensions.push_back(lower(a[i].as_string().utf8()));
        }
        if (extensions.empty() || int64_t(extensions.size()) != a.size()) {
            err = str("option extensions is ", ext_v.describe(), ": expected a non-empty Array of Strings such as \"png\"");
        }
    }
    // Plain concatenation, not str(): in the ASan build (tools/sanitize_run.sh) the ostringstream of a str() here,
    // after dir_exists_absolute() returned false, freed libstdc++'s classic locale on the second such call (a
    // bad-free in std::locale::~locale, reproduced by calling load_image_folder("/nonexistent") twice). Only that
    // build shows it and the root cause is not found; see the closing note of 2026-11-29.
    if (err.empty() && !gd::DirAccess::dir_exists_absolute(path)) err = "\"" + root + "\" is not a folder";
    const std::vector<std::string> classes = err.empty() ? sorted_names(gd::DirAccess::get_directories_at(path))
                                                         : std::vector<std::string>();
    if (err.empty() && classes.empty()) err = str("\"", root, "\" has no sub-folders: expected one folder of images per class");
    if (!err.empty()) {
        push_error(where, err);
        return {};
    }
    const std::string base = root.empty() || root.back() == '/' ? root : root + "/";
    gd::Array inputs, labels;
    gd::PackedStringArray files, skipped, class_names;
    std::vector<float> row;
    for (size_t k = 0; k < classes.size(); ++k) {
        class_names.push_back(gd::String(classes[k]));
        for (const std::string& name : folder_files(base + classes[k])) {
            const size_t dot = name.rfind('.');
            const std::string ext = dot == std::string::npos ? "" : lower(name.substr(dot + 1));
            if (std::find(extensions.begin(), extensions.end(), ext) == extensions.end()) continue;
            const std::string rel = classes[k] + "/" + name;
            std::string why;
            gd::Ref<gd::Image> img = read_rgba8(base + rel, &why);
            if (!img) {
                push_warning(where, str("skipped \"", base + rel, "\": ", why));
                skipped.push_back(gd::String(rel));
                continue;
            }
            const int64_t w = img->get_width(), h = img->get_height();
            if (width == 0) {
                width = w;
                height = h;
            }
            const std::string big = check_float_count("the image rows", size_t(inputs.size() + 1),
                                                      uint64_t(channels * width * height));
            if (!big.empty()) {
                push_error(where, big);
                return {};
            }
            const gd::PackedByteArray px = img->get_data();
            if (px.size() < w * h * 4) {  // more when the import made mipmaps: they follow the first level
                push_warning(where, str("skipped \"", base + rel, "\": unexpected pixel data"));
                skipped.push_back(gd::String(rel));
                continue;
            }
            row.resize(size_t(channels * width * height));
            image_to_chw(px.data(), size_t(w), size_t(h), int(channels), size_t(width), size_t(height), mean.data(),
                         stdev.data(), row.data());
            inputs.push_back(gd::Variant(to_packed(row.data(), row.size())));
            labels.push_back(gd::Variant(int64_t(k)));
            files.push_back(gd::String(rel));
        }
    }
    if (inputs.size() == 0) {
        push_error(where, str("\"", root, "\" has no readable images in its class folders (extensions: ",
                              ext_v.is_nil() ? "png, jpg, jpeg, webp, bmp, tga" : ext_v.describe(), ")"));
        return {};
    }
    gd::Dictionary out;
    out[gd::Variant("inputs")] = gd::Variant(inputs);
    out[gd::Variant("labels")] = gd::Variant(labels);
    out[gd::Variant("classes")] = gd::Variant(class_names);
    out[gd::Variant("files")] = gd::Variant(files);
    out[gd::Variant("skipped")] = gd::Variant(skipped);
    out[gd::Variant("width")] = gd::Variant(width);
    out[gd::Variant("height")] = gd::Variant(height);
    out[gd::Variant("channels")] = gd::Variant(channels);
    return out;
}

}  // namespace lk::api
