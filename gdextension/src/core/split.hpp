// Train/validation/test splits of row indices: shuffled by a seed, optionally stratified (every class keeps
// its share of the rows in each part, like sklearn's train_test_split(stratify=...)). Godot-free.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace lk {

struct SplitParts {
    std::vector<uint32_t> train, validation, test;
};

// Part sizes for n rows: test ceil(test * n) and validation ceil(validation * n) when their fraction is above 0
// (so at least 1), train the rest, which must be at least 1. Empty string, or why the fractions do not fit.
std::string split_sizes(size_t n, double validation, double test, size_t* n_validation, size_t* n_test);

// Splits rows 0..n-1. shuffle false: train, validation, test in row order (no labels then). labels (one per row,
// any integers) stratify: each class c with n_c rows gets about n_c * size / n rows in each part, the sizes
// summing exactly to the part sizes (largest remainders, capped by the class's rows). Same seed, same split.
SplitParts split_rows(size_t n, size_t n_validation, size_t n_test, uint64_t seed, bool shuffle,
                      const std::vector<int64_t>* labels);

}  // namespace lk
