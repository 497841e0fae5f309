// Godot values <-> the engine core's flat float matrices, with the checks every API entry point needs.
// Each function returns false and fills *err with a message that names the bad value and what was expected.
#pragma once
#include <string>
#include <vector>

#include "core/model.hpp"
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

// The layer view of a model (get_layers()): one Dictionary per op, except that an activation op that is the
// only reader of a dense op's output is shown as that dense layer's "activation". Dense layers read
// {type: "dense", name, inputs, outputs, activation, alpha}; other ops {type, name, settings}.
gd::Array layer_view(const Model& model);
// One Dictionary per op that has parameters or buffers, {name: PackedFloat32Array} in the op's order (dense:
// weight out x in row-major, then bias: torch's nn.Linear). With `grads` (Model::params() layout): the
// gradients of the trainable parameters instead. The caller holds the model's parameter lock.
gd::Array per_op_tensors(const Model& model, const float* grads);
// The inverse, for set_parameters() and model files: entries aligned with per_op_tensors(); every trainable
// parameter is required, buffers are optional (kept when absent). Writes into params/buffers (Model layouts).
bool tensors_from_array(const Model& model, const gd::Array& entries, std::vector<float>* params,
                        std::vector<float>* buffers, std::string* err);

// Lower-case device name check: "auto", "gpu" or "cpu".
bool valid_device(const std::string& device);

}  // namespace lk::api
