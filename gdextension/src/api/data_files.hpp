// What the data-file loaders (csv_loader.cpp, image_folder.cpp) share: reading a file's bytes through Godot,
// what Godot's import does to a res:// file in an exported game, and reading an options Dictionary.
#pragma once
#include <string>
#include <vector>

#include "gd_classes.hpp"

namespace lk::api {

// The whole file as bytes in *out; false and *err (naming the path and Godot's error) when it cannot be read.
bool read_file_bytes(const gd::String& path, std::string* out, std::string* err);
// The importer Godot uses for a res:// file ("keep", "csv_translation", "texture"...), read from its
// `<path>.import`; "" when there is none (a file outside res://, or one Godot does not import).
std::string importer_of(const std::string& path);
// Empty, or why a res:// data file that Godot imports with an importer other than "Keep File" (importer_of) is
// missing from an exported game, and which import setting fixes it: an export packs the imported resource (a
// .csv becomes translations by default), not the file itself.
std::string export_import_note(const std::string& path);
// The file names of a folder as the project sees them. In an exported game a res:// folder lists
// "foo.png.import" (the imported texture's pointer) or "foo.gd.remap" where the project has foo.png or foo.gd:
// those map back to the source names. Sorted, without duplicates.
std::vector<std::string> folder_files(const std::string& folder);
// An int, or a float holding a whole number (JSON and many scripts give 4.0 for 4); false for anything else.
bool as_whole(const gd::Variant& v, int64_t* out);
// Empty, or an error naming the first key of options that is not in `known` (comma-separated) and listing them.
std::string unknown_option(const gd::Dictionary& options, const char* known);

}  // namespace lk::api
