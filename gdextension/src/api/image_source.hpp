// Where load_image_folder's pixels come from. A res:// image that Godot imported is read through ResourceLoader
// (its imported texture, or an Image resource) in every run: an exported game holds only that (the source .png is
// not exported, and Image.load_from_file fails there), and reading the same data in the editor gives the same
// numbers in both. Other files (user://, absolute paths, res:// files without an import) go through Image.
#pragma once
#include <string>

#include "gd_classes.hpp"

namespace lk::api {

// The image at path as RGBA8 pixels (mipmaps, if the import made any, follow the first level in get_data()).
// On failure an empty Ref and *why: what went wrong and, for imported textures, which import setting to change.
gd::Ref<gd::Image> read_rgba8(const std::string& path, std::string* why);

}  // namespace lk::api
