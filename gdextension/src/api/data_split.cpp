// LearnKit.data.split(): train/validation/test parts, shuffled by a seed, optionally stratified
// (core/split.hpp does the arithmetic; this file reads the options and the labels).
#include <algorithm>
#include <cmath>

#include "api/data_files.hpp"
#include "api/learnkit_data.hpp"
#include "core/split.hpp"
#include "godot/log.hpp"

namespace lk::api {

namespace {

constexpr const char* kSplitOptions = "test, validation, seed, shuffle, stratify";

// A class label per row from targets: an int, or a row read by its argmax (a one-value row: its value rounded,
// so 0/1 rows of a binary task are classes 0 and 1).
bool label_of(const gd::Variant& v, int64_t* out) {
    if (v.is_number()) {
        const double d = v.as_double();
        if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15) return false;
        *out = int64_t(d);
        return true;
    }
    gd::Variant row;
    if (!v.convert(GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY, &row)) return false;
    if (v.get_type() != GDEXTENSION_VARIANT_TYPE_ARRAY && v.get_type() != GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY &&
        v.get_type() != GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT64_ARRAY &&
        v.get_type() != GDEXTENSION_VARIANT_TYPE_PACKED_INT32_ARRAY &&
        v.get_type() != GDEXTENSION_VARIANT_TYPE_PACKED_INT64_ARRAY) {
        return false;
    }
    const gd::PackedFloat32Array r = row.as_packed_float32_array();
    const float* p = r.data();
    const int64_t n = r.size();
    if (n == 0) return false;
    for (int64_t i = 0; i < n; ++i) {
        if (!std::isfinite(p[i])) return false;
    }
    *out = n == 1 ? int64_t(std::lround(p[0])) : int64_t(std::max_element(p, p + n) - p);
    return true;
}

bool fraction(const gd::Dictionary& o, const char* key, double fallback, double* out, const char* where) {
    gd::Variant v;
    *out = fallback;
    if (!o.lookup(gd::Variant(key), &v)) return true;
    if (!v.is_number() || !(v.as_double() >= 0.0 && v.as_double() < 1.0)) {
        push_error(where, str("option ", key, " is ", v.describe(), ": expected a fraction in [0, 1)"));
        return false;
    }
    *out = v.as_double();
    return true;
}

void take(const gd::Array& inputs, const gd::Array& targets, const std::vector<uint32_t>& rows, gd::Array* xs,
          gd::Array* ts, gd::PackedInt32Array* ids) {
    ids->resize(int64_t(rows.size()));
    for (size_t k = 0; k < rows.size(); ++k) {
        xs->push_back(inputs[rows[k]]);
        ts->push_back(targets[rows[k]]);
        ids->data()[k] = int32_t(rows[k]);
    }
}

}  // namespace

ExtRef<LKSplit> LearnKitData::split(const gd::Array& inputs, const gd::Array& targets, const gd::Dictionary& options) {
    const char* where = "data.split";
    const int64_t n = inputs.size();
    if (n < 2 || targets.size() != n || n > int64_t(INT32_MAX)) {
        push_error(where, str("inputs has ", n, " rows and targets ", targets.size(),
                              ": expected the same number of rows, at least 2"));
        return {};
    }
    const std::string unknown = unknown_option(options, kSplitOptions);
    if (!unknown.empty()) {
        push_error(where, unknown);
        return {};
    }
    double test = 0.2, validation = 0.0;
    if (!fraction(options, "test", 0.2, &test, where) || !fraction(options, "validation", 0.0, &validation, where)) {
        return {};
    }
    gd::Variant seed_v(int64_t(0)), shuffle_v(true), stratify_v(false);
    options.lookup(gd::Variant("seed"), &seed_v);
    options.lookup(gd::Variant("shuffle"), &shuffle_v);
    options.lookup(gd::Variant("stratify"), &stratify_v);
    int64_t seed = 0;
    if (!as_whole(seed_v, &seed) || shuffle_v.get_type() != GDEXTENSION_VARIANT_TYPE_BOOL) {
        push_error(where, str("options seed ", seed_v.describe(), " and shuffle ", shuffle_v.describe(),
                              ": expected an int and a bool"));
        return {};
    }
    size_t n_val = 0, n_test = 0;
    const std::string bad = split_sizes(size_t(n), validation, test, &n_val, &n_test);
    if (!bad.empty()) {
        push_error(where, bad);
        return {};
    }
    std::vector<int64_t> labels;
    const bool by_targets = stratify_v.get_type() == GDEXTENSION_VARIANT_TYPE_BOOL && stratify_v.as_bool();
    if (by_targets || stratify_v.get_type() == GDEXTENSION_VARIANT_TYPE_ARRAY) {
        const gd::Array source = by_targets ? targets : stratify_v.as_array();
        const char* what = by_targets ? "targets" : "stratify";
        if (source.size() != n) {
            push_error(where, str("stratify has ", source.size(), " labels for ", n, " rows: expected one per row"));
            return {};
        }
        labels.resize(size_t(n));
        for (int64_t i = 0; i < n; ++i) {
            if (!label_of(source[i], &labels[size_t(i)])) {
                push_error(where, str(what, "[", i, "] is ", source[i].describe(),
                                      ": expected an integer class label or a row of finite numbers (its argmax)"));
                return {};
            }
        }
        if (!shuffle_v.as_bool()) {
            push_error(where, "stratify needs shuffle: a stratified split without shuffling is not defined");
            return {};
        }
    } else if (stratify_v.get_type() != GDEXTENSION_VARIANT_TYPE_BOOL) {
        push_error(where, str("option stratify is ", stratify_v.describe(), ": expected a bool or an Array of labels"));
        return {};
    }
    const SplitParts parts = split_rows(size_t(n), n_val, n_test, uint64_t(seed), shuffle_v.as_bool(),
                                        labels.empty() ? nullptr : &labels);
    ExtRef<LKSplit> s = ExtRef<LKSplit>::create();
    take(inputs, targets, parts.train, &s->train_inputs, &s->train_targets, &s->train_indices);
    take(inputs, targets, parts.validation, &s->validation_inputs, &s->validation_targets, &s->validation_indices);
    take(inputs, targets, parts.test, &s->test_inputs, &s->test_targets, &s->test_indices);
    return s;
}

}  // namespace lk::api
