// Binary model files (.lkm): the model Dictionary of model_file.hpp (the same structure JSON files and the
// `model` property hold) as a tree of tagged values inside the container of core/binary_container.hpp, with
// parameters as raw little-endian float32 (no base64). The tree is generic: a key that a later LearnKit adds
// to the Dictionary (e.g. scalers saved with the model) is written and read back without a format change.
//
// Payload value encoding: one tag byte, then
//   0 nil | 1 false | 2 true | 3 int: i64 | 4 float: f64 | 5 String: u32 byte count + UTF-8 (no NUL)
//   6 StringName: as String | 7 Array: u32 count + values | 8 Dictionary: u32 count + (key value) pairs
//   9 PackedByteArray: u32 count + bytes | 10 PackedFloat32Array: u32 count + count x f32
//   11 PackedInt32Array: u32 count + count x i32
// Nesting is limited to kMaxBinaryDepth levels. The root value is a Dictionary.
#pragma once
#include <string>
#include <vector>

#include "core/model.hpp"
#include "gd_classes.hpp"

namespace lk::api {

constexpr int kMaxBinaryDepth = 32;

// Any Variant tree of the types above into payload bytes; false and *err (naming the key path) otherwise.
bool encode_value(const gd::Variant& value, std::vector<uint8_t>* out, std::string* err);
// The inverse; the payload must hold exactly one value.
bool decode_value(const uint8_t* data, size_t size, gd::Variant* out, std::string* err);

// The whole file for a model Dictionary (LKNetwork::model_doc(true): every key, scalers included).
bool model_to_binary(const gd::Dictionary& doc, std::vector<uint8_t>* out, std::string* err);
// A whole file into its model Dictionary (for LKNetwork::load_model, which validates the model); false and *err
// (a sentence to put after the file's name) when the container or the value tree is invalid.
bool model_from_binary(const uint8_t* data, size_t size, gd::Dictionary* doc, std::string* err);

}  // namespace lk::api
