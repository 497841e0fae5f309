#include "api/image_source.hpp"

#include "godot/log.hpp"

namespace lk::api {

namespace {

bool is_a(const gd::Ref<gd::Resource>& res, const char* class_name) {
    const gd::StringName name(class_name);
    return gdx::object_cast_to(res.ptr(), gdx::classdb_get_class_tag(name.ptr())) != nullptr;
}

// The pixels of an imported res:// image; an empty Ref and *why when the resource is not an image, and also
// *loaded false when Godot could not load it at all.
gd::Ref<gd::Image> from_resource(const gd::String& path, std::string* why, bool* loaded) {
    // CACHE_MODE_IGNORE: a fresh copy, so convert() below never changes a resource the game also uses.
    gd::Ref<gd::Resource> res =
        gd::ResourceLoader::singleton().load(path, gd::String(), gd::ResourceLoader::CACHE_MODE_IGNORE);
    *loaded = bool(res);
    if (!res) {
        *why = "Godot could not load its imported resource (reimport it)";
        return {};
    }
    if (is_a(res, "Image")) return gd::Ref<gd::Image>::share(res.ptr());  // imported with Import As: Image
    if (!is_a(res, "Texture2D")) {
        *why = str("it is imported as ", res->get_class().utf8(), ": expected Texture2D or Image (Import As)");
        return {};
    }
    gd::Ref<gd::Image> img = gd::Texture2D(res.ptr()).get_image();
    if (!img) *why = "its imported texture gave no pixels (Texture2D.get_image() returned null)";
    return img;
}

}  // namespace

gd::Ref<gd::Image> read_rgba8(const std::string& path, std::string* why) {
    const gd::String p(path);
    gd::Ref<gd::Image> img;
    const bool imported = path.rfind("res://", 0) == 0 && gd::ResourceLoader::singleton().exists(p);
    bool loaded = false;
    if (imported) img = from_resource(p, why, &loaded);
    // Not imported (user://, absolute paths), or a project whose import is not done yet: the file itself.
    if (!imported || (!loaded && gd::FileAccess::file_exists(p))) {
        why->clear();
        img = gd::Image::load_from_file(p);
        if (!img || img->is_empty()) *why = "Godot could not read it as an image";
    }
    if (!img || img->is_empty()) {
        if (why->empty()) *why = "Godot could not read it as an image";
        return {};
    }
    if (img->is_compressed() && img->decompress() != gd::OK) {
        *why = str("its pixels are VRAM-compressed (Image format ", img->get_format(),
                   ") and this Godot build cannot decompress that format: set Compress > Mode to Lossless in the "
                   "Import dock and reimport");
        return {};
    }
    img->convert(gd::Image::FORMAT_RGBA8);
    return img;
}

}  // namespace lk::api
