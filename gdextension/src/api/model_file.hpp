// A model as plain Godot data: the one description that JSON files (LearnKit.serialize) and the model
// Resource share. Version 2: {"format": "learnkit.network", "version": 2, "device", "input_shape": [...],
// "output": tensor id, "ops": [{"name", "type", "inputs": [tensor ids], "settings": {...},
// "tensors": {param name: base64 of little-endian float32}}]}. Version 1 files (a list of dense layers) still
// load. Loading is strict: a model is exactly what the file says or an error naming what is wrong.
#pragma once
#include <string>

#include "core/model.hpp"
#include "gd_classes.hpp"

namespace lk::api {

constexpr const char* kModelFormat = "learnkit.network";
constexpr int64_t kModelVersion = 2;

// raw_tensors: parameters as PackedFloat32Array instead of base64 Strings (the binary format stores them raw;
// model_from_dict reads either).
gd::Dictionary model_to_dict(const Model& model, const std::string& device, bool raw_tensors = false);
// Fills a fresh model (and the device, "auto" when absent); false and *err when anything is invalid.
bool model_from_dict(const gd::Dictionary& doc, Model* model, std::string* device, std::string* err);

// Exact float32 <-> text, used for parameters in files.
std::string floats_to_base64(const float* values, size_t n);
bool base64_to_floats(const std::string& text, std::vector<float>* out);

}  // namespace lk::api
