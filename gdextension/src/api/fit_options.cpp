#include "api/fit_options.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "api/convert.hpp"
#include "core/rng.hpp"
#include "core/validate.hpp"
#include "gdx_interface.hpp"
#include "godot/log.hpp"

namespace lk::api {

namespace {

constexpr const char* kOptionNames =
    "validation_split, validation_shuffle, validation_data, metrics, top_k, early_stopping, on_epoch";
constexpr const char* kEarlyNames = "monitor, patience, min_delta, mode, restore_best_weights";

bool is_text(const gd::Variant& v) {
    return v.get_type() == GDEXTENSION_VARIANT_TYPE_STRING || v.get_type() == GDEXTENSION_VARIANT_TYPE_STRING_NAME;
}

bool is_int(const gd::Variant& v) {
    return v.get_type() == GDEXTENSION_VARIANT_TYPE_INT ||
           (v.get_type() == GDEXTENSION_VARIANT_TYPE_FLOAT && v.as_double() == std::floor(v.as_double()) &&
            std::fabs(v.as_double()) < 1e15);
}

// Moves rows [from..) of a row-major matrix, in `order`, to *held and keeps the rest in *m (in order too).
void split_rows(std::vector<float>* m, size_t width, const std::vector<size_t>& order, size_t keep,
                std::vector<float>* held) {
    std::vector<float> kept(keep * width);
    held->assign((order.size() - keep) * width, 0.0f);
    for (size_t i = 0; i < order.size(); ++i) {
        float* dst = i < keep ? kept.data() + i * width : held->data() + (i - keep) * width;
        std::copy_n(m->data() + order[i] * width, width, dst);
    }
    *m = std::move(kept);
}

std::string parse_early(const gd::Variant& v, bool validating, FitWatch* w) {
    EarlyStopping& e = w->early;
    e.enabled = true;
    e.monitor = validating ? "val_loss" : "loss";
    if (v.get_type() == GDEXTENSION_VARIANT_TYPE_BOOL) {
        e.enabled = v.as_bool();
        return "";
    }
    if (v.get_type() != GDEXTENSION_VARIANT_TYPE_DICTIONARY) {
        return str("early_stopping is ", v.describe(), ": expected a Dictionary {", kEarlyNames, "} or true");
    }
    const gd::Dictionary d = v.as_dictionary();
    const gd::Array keys = d.keys();
    std::string mode = "auto";
    for (int64_t i = 0; i < keys.size(); ++i) {
        const std::string k = is_text(keys[i]) ? keys[i].as_string().utf8() : "";
        gd::Variant x;
        d.lookup(keys[i], &x);
        if (k == "monitor" && is_text(x)) {
            e.monitor = x.as_string().utf8();
        } else if (k == "patience" && is_int(x) && x.as_double() >= 0 && x.as_double() <= 1e9) {
            e.patience = int(x.as_double());
        } else if (k == "min_delta" && x.is_number() && x.as_double() >= 0.0 && std::isfinite(x.as_double())) {
            e.min_delta = x.as_double();
        } else if (k == "mode" && is_text(x) &&
                   (x.as_string().utf8() == "auto" || x.as_string().utf8() == "min" || x.as_string().utf8() == "max")) {
            mode = x.as_string().utf8();
        } else if (k == "restore_best_weights" && x.get_type() == GDEXTENSION_VARIANT_TYPE_BOOL) {
            e.restore_best_weights = x.as_bool();
        } else {
            const char* expected = k == "monitor"     ? "a String such as \"val_loss\""
                                   : k == "patience"  ? "an int >= 0"
                                   : k == "min_delta" ? "a number >= 0"
                                   : k == "mode"      ? "\"auto\", \"min\" or \"max\""
                                   : k == "restore_best_weights" ? "a bool"
                                                                 : nullptr;
            if (!expected) return str("early_stopping has no setting ", keys[i].describe(), ": expected ", kEarlyNames);
            return str("early_stopping ", k, " is ", x.describe(), ": expected ", expected);
        }
    }
    metrics::Metric m;
    const std::string base = e.monitor.rfind("val_", 0) == 0 ? e.monitor.substr(4) : e.monitor;
    e.maximize = mode == "max" || (mode == "auto" && metrics::metric_from_name(base, &m) &&
                                   metrics::metric_higher_is_better(m));
    return "";
}

bool is_packed(const gd::Variant& v) { return v.get_type() == GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY; }

// [inputs, targets] as two Arrays of rows (targets may be class labels), or as two flat PackedFloat32Arrays
// (row-major, as fit_flat takes; the rows follow from the network's input width).
std::string parse_validation_data(const gd::Variant& v, const Model& net, Loss loss, FitOptions* out) {
    const gd::Array a = v.get_type() == GDEXTENSION_VARIANT_TYPE_ARRAY ? v.as_array() : gd::Array();
    const bool rows_form = a.size() == 2 && a[0].get_type() == GDEXTENSION_VARIANT_TYPE_ARRAY &&
                           a[1].get_type() == GDEXTENSION_VARIANT_TYPE_ARRAY;
    const bool flat_form = a.size() == 2 && is_packed(a[0]) && is_packed(a[1]);
    if (!rows_form && !flat_form) {
        return str("validation_data is ", v.describe(), ": expected [inputs, targets] (two Arrays of rows, or two "
                   "flat PackedFloat32Arrays of rows x inputs and rows x outputs values)");
    }
    const uint32_t in_w = net.input_width(), out_w = net.output_width();
    std::string err;
    if (rows_form) {
        uint32_t width = in_w;
        if (!rows_to_matrix(a[0].as_array(), "validation_data inputs", &width, &out->val_x, &err) ||
            !targets_to_matrix(a[1].as_array(), out->val_x.size() / width, out_w, &out->val_t, &err)) {
            return "validation_data: " + err;
        }
    } else {
        const gd::PackedFloat32Array x = a[0].as_packed_float32_array(), t = a[1].as_packed_float32_array();
        const size_t n = size_t(x.size());
        if (n == 0 || n % in_w != 0) {
            return str("validation_data inputs has ", n, " values: expected a positive multiple of the network's ",
                       in_w, " inputs (rows x inputs, row-major)");
        }
        const size_t rows = n / in_w;
        err = check_matrix("validation_data inputs", x.data(), n, rows, in_w);
        if (err.empty()) err = check_matrix("validation_data targets", t.data(), size_t(t.size()), rows, out_w);
        if (!err.empty()) return err + " (validation_data inputs hold " + std::to_string(rows) + " rows)";
        out->val_x.assign(x.data(), x.data() + n);
        out->val_t.assign(t.data(), t.data() + t.size());
    }
    err = check_targets(loss, out->val_t.data(), out->val_x.size() / in_w, out_w);
    return err.empty() ? "" : "validation_data: " + err;
}

}  // namespace

std::string parse_fit_options(const gd::Dictionary& options, const Model& net, Loss loss, uint64_t seed,
                              std::vector<float>* X, std::vector<float>* T, size_t* rows, FitOptions* out) {
    FitWatch& w = out->watch;
    const gd::Array keys = options.keys();
    double split = 0.0;
    bool shuffle_split = false, has_data = false;
    gd::Variant early;
    for (int64_t i = 0; i < keys.size(); ++i) {
        const std::string k = is_text(keys[i]) ? keys[i].as_string().utf8() : "";
        gd::Variant v;
        options.lookup(keys[i], &v);
        if (k == "validation_split") {
            if (!v.is_number() || !(v.as_double() >= 0.0 && v.as_double() < 1.0)) {
                return str("validation_split is ", v.describe(), ": expected a fraction of the rows in (0, 1) (0: none)");
            }
            split = v.as_double();
        } else if (k == "validation_shuffle") {
            if (v.get_type() != GDEXTENSION_VARIANT_TYPE_BOOL) return str("validation_shuffle is ", v.describe(), ": expected a bool");
            shuffle_split = v.as_bool();
        } else if (k == "validation_data") {
            const std::string e = parse_validation_data(v, net, loss, out);
            if (!e.empty()) return e;
            has_data = true;
        } else if (k == "metrics") {
            if (v.get_type() != GDEXTENSION_VARIANT_TYPE_ARRAY) return str("metrics is ", v.describe(), ": expected an Array of names");
            const gd::Array names = v.as_array();
            for (int64_t j = 0; j < names.size(); ++j) {
                metrics::Metric m;
                if (!is_text(names[j]) || !metrics::metric_from_name(names[j].as_string().utf8(), &m)) {
                    return str("metrics[", j, "] is ", names[j].describe(), ": expected one of ", metrics::metric_names());
                }
                if (std::find(w.metrics.begin(), w.metrics.end(), m) == w.metrics.end()) w.metrics.push_back(m);
            }
        } else if (k == "top_k") {
            if (!is_int(v) || v.as_double() < 1 || v.as_double() > 1e9) return str("top_k is ", v.describe(), ": expected an int >= 1");
            w.top_k = uint32_t(v.as_double());
        } else if (k == "early_stopping") {
            early = v;
        } else if (k == "on_epoch") {
            if (v.get_type() != GDEXTENSION_VARIANT_TYPE_CALLABLE) {
                return str("on_epoch is ", v.describe(), ": expected a Callable(epoch: int, logs: Dictionary)");
            }
            out->on_epoch = v;
        } else {
            return str("fit() has no option ", k.empty() ? keys[i].describe() : "\"" + k + "\"", ": expected one of ",
                       kOptionNames,
                       " (trainer settings such as epochs are LKTrainer properties)");
        }
    }
    if (has_data && split > 0.0) return "validation_data and validation_split are both set: expected one of them";
    if (shuffle_split && split == 0.0) return "validation_shuffle is set without validation_split";
    if (split > 0.0) {
        // Keras's rule: the first ceil(rows * (1 - split)) rows train, the rest validate.
        const size_t n = *rows, keep = size_t(std::ceil(double(n) * (1.0 - split)));
        if (keep < 1 || keep >= n) {
            return str("validation_split ", split, " of ", n, " rows leaves ", n - std::min(keep, n), " validation and ",
                       std::min(keep, n), " training rows: expected at least one of each");
        }
        std::vector<size_t> order(n);
        std::iota(order.begin(), order.end(), size_t(0));
        if (shuffle_split) {
            Rng rng(Rng::mix(seed, 0x5A117ull));
            for (size_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
        }
        split_rows(X, net.input_width(), order, keep, &out->val_x);
        split_rows(T, net.output_width(), order, keep, &out->val_t);
        *rows = keep;
    }
    w.val_rows = out->val_x.size() / net.input_width();
    w.val_x = out->val_x.data();
    w.val_t = out->val_t.data();
    if (!early.is_nil()) {
        const std::string e = parse_early(early, w.val_rows > 0, &w);
        if (!e.empty()) return e;
    }
    return check_watch(w, net);
}

gd::Dictionary log_dictionary(const EpochLog& log) {
    gd::Dictionary d;
    for (const auto& [name, value] : log.values) d[gd::Variant(name)] = gd::Variant(value);
    return d;
}

bool call_on_epoch(const gd::Variant& callable, int64_t epoch, const gd::Dictionary& logs, std::string* err) {
    const gd::Variant args[2] = {gd::Variant(epoch), gd::Variant(logs)};
    GDExtensionConstVariantPtr argv[2] = {args[0].ptr(), args[1].ptr()};
    gd::StringName method("call");
    gd::Variant self = callable, ret;
    GDExtensionCallError ce{};
    gdx::variant_call(self.ptr(), method.ptr(), argv, 2, ret.ptr(), &ce);
    if (ce.error != GDEXTENSION_CALL_OK) {
        *err = str("the on_epoch Callable could not be called with (epoch: int, logs: Dictionary) (call error ",
                   int(ce.error), ", argument ", ce.argument, ", expected ", ce.expected,
                   " arguments): training stopped");
        return false;
    }
    return !(ret.get_type() == GDEXTENSION_VARIANT_TYPE_BOOL && !ret.as_bool());
}

}  // namespace lk::api
