// Godot values <-> the engine core's flat float matrices, with the checks every API entry point needs.
// Each function returns false and fills *err with a message that names the bad value and what was expected.
#pragma once
#include <string>
#include <vector>

#include "core/network.hpp"
#include "gd_classes.hpp"

namespace lk::api {

// An Array of rows (Array of numbers, PackedFloat32Array, PackedFloat64Array, PackedInt32Array) into a
// rows x width matrix. width 0: take it from the first row. Rejects empty, ragged, non-numeric, NaN/Inf.
bool rows_to_matrix(const gd::Array& rows, const char* what, uint32_t* width, std::vector<float>* out,
                    std::string* err);

// Targets: rows of `width` values, or (when width > 1) integer class labels turned into one-hot rows.
bool targets_to_matrix(const gd::Array& targets, size_t expected_rows, uint32_t width, std::vector<float>* out,
                       std::string* err);

gd::PackedFloat32Array to_packed(const float* values, size_t n);
// rows x width values into an Array of PackedFloat32Array rows.
gd::Array matrix_to_rows(const std::vector<float>& values, size_t rows, size_t width);

// {type, inputs, outputs, activation, alpha} of one layer (get_layers() and the model file share it).
gd::Dictionary layer_description(const Layer& layer);
// One {"weight", "bias"} Dictionary per layer from values in Network::params() layout (parameters or their
// gradients): the torch nn.Linear layout, weight out x in row-major.
gd::Array per_layer_weights(const Network& net, const float* values);

// Lower-case device name check: "auto", "gpu" or "cpu".
bool valid_device(const std::string& device);

}  // namespace lk::api
