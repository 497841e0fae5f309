// Input checks for the API layer and the trainer. Each returns "" when the input is fine, else one message that
// names the offending value and says what was expected ("X row 3 has 5 values, expected 4"), ready for
// push_error. Nothing here throws or logs: the caller decides how to report.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/kernels.hpp"

namespace lk {

struct TrainConfig;

// First NaN or Inf in a rows x width matrix (width 0: a flat list), with its row and column.
std::string check_finite(const std::string& what, const float* values, size_t n, size_t width);

// One row of a ragged input (e.g. an Array of PackedFloat32Array) against the expected width.
std::string check_row_width(const std::string& what, size_t row, size_t got, size_t expected);

// A flat rows x width matrix given as n values: rows > 0, n == rows * width, all finite.
std::string check_matrix(const std::string& what, const float* values, size_t n, size_t rows, size_t width);

// Targets in the loss's domain: bce in [0, 1]; cce >= 0 with every row summing to 1 (the fused gradient y - t
// is exact only for distributions, e.g. one-hot rows); mse anything finite.
std::string check_targets(Loss loss, const float* T, size_t rows, size_t width);

// Class labels in [0, classes), and their one-hot rows (n x classes).
std::string check_labels(const int64_t* labels, size_t n, uint32_t classes);
void one_hot(const int64_t* labels, size_t n, uint32_t classes, std::vector<float>* out);

// Every TrainConfig field in range. for_fit: epochs and batch_size matter (step() ignores them).
std::string check_config(const TrainConfig& cfg, bool for_fit);

}  // namespace lk
