#include "api/learnkit_data.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "api/convert.hpp"
#include "core/rng.hpp"
#include "core/validate.hpp"
#include "core/sizes.hpp"
#include "godot/log.hpp"

namespace lk::api {

ExtRef<LKSplit> LearnKitData::train_test_split(const gd::Array& inputs, const gd::Array& targets, double test_ratio,
                                               int64_t seed) {
    const char* where = "data.train_test_split";
    const int64_t n = inputs.size();
    if (n < 2 || targets.size() != n) {
        push_error(where, str("inputs has ", n, " rows and targets ", targets.size(),
                              ": expected the same number of rows, at least 2"));
        return {};
    }
    if (!(test_ratio > 0.0 && test_ratio < 1.0)) {
        push_error(where, str("test_ratio is ", test_ratio, ": expected a value in (0, 1)"));
        return {};
    }
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    Rng rng(Rng::mix(uint64_t(seed), 0x5eed));
    for (size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
    // At least one row on each side, like sklearn's rounding up of the test part.
    const int64_t n_test = std::clamp<int64_t>(int64_t(std::ceil(test_ratio * double(n))), 1, n - 1);
    ExtRef<LKSplit> split = ExtRef<LKSplit>::create();
    for (int64_t k = 0; k < n; ++k) {
        const int64_t i = order[size_t(k)];
        gd::Array& xs = k < n_test ? split->test_inputs : split->train_inputs;
        gd::Array& ts = k < n_test ? split->test_targets : split->train_targets;
        xs.push_back(inputs[i]);
        ts.push_back(targets[i]);
    }
    return split;
}

gd::Array LearnKitData::one_hot(const gd::Array& labels, int64_t classes) {
    const char* where = "data.one_hot";
    if (classes <= 0 || classes > (int64_t(1) << 24)) {
        push_error(where, str("classes is ", classes, ": expected a positive count"));
        return gd::Array();
    }
    std::vector<int64_t> values;
    for (int64_t i = 0; i < labels.size(); ++i) {
        const gd::Variant& v = labels[i];
        const double d = v.is_number() ? v.as_double() : -1.0;
        if (!v.is_number() || d != double(int64_t(d))) {
            push_error(where, str("labels[", i, "] is ", v.describe(), ": expected an integer class label"));
            return gd::Array();
        }
        values.push_back(int64_t(d));
    }
    const std::string bad = check_labels(values.data(), values.size(), uint32_t(classes));
    if (!bad.empty()) {
        push_error(where, bad);
        return gd::Array();
    }
    const std::string big = check_float_count("the one-hot matrix", values.size(), uint64_t(classes));
    if (!big.empty()) {  // checked before allocating: 1000 labels x 16M classes would be 67 GB
        push_error(where, big);
        return gd::Array();
    }
    std::vector<float> rows;
    lk::one_hot(values.data(), values.size(), uint32_t(classes), &rows);
    return matrix_to_rows(rows, values.size(), size_t(classes));
}

}  // namespace lk::api
