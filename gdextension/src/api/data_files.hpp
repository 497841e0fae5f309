// What the data-file loaders (csv_loader.cpp, image_folder.cpp) share: reading a file's bytes through Godot
// and reading an options Dictionary.
#pragma once
#include <string>

#include "gd_classes.hpp"

namespace lk::api {

// The whole file as bytes in *out; false and *err (naming the path and Godot's error) when it cannot be read.
bool read_file_bytes(const gd::String& path, std::string* out, std::string* err);
// An int, or a float holding a whole number (JSON and many scripts give 4.0 for 4); false for anything else.
bool as_whole(const gd::Variant& v, int64_t* out);
// Empty, or an error naming the first key of options that is not in `known` (comma-separated) and listing them.
std::string unknown_option(const gd::Dictionary& options, const char* known);

}  // namespace lk::api
