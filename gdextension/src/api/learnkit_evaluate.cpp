#include "api/learnkit_evaluate.hpp"

#include <algorithm>
#include <cmath>

#include "api/convert.hpp"
#include "core/metrics.hpp"
#include "godot/log.hpp"

namespace lk::api {

namespace {

// The largest class count a classification metric accepts: its confusion matrix is classes^2 integers.
constexpr int64_t kMaxClasses = 1 << 16;

// Predictions or targets as given: rows (a matrix) or one number per row (labels or a single column).
struct Side {
    std::vector<float> m;
    uint32_t width = 0;
    bool numbers = false;  // one number per row: class labels (classification) or a column of values
    size_t rows() const { return width ? m.size() / width : 0; }
};

bool read_side(const gd::Array& a, const char* what, Side* s, std::string* err) {
    if (a.size() > 0 && a[0].is_number()) {
        s->numbers = true;
        s->width = 1;
        for (int64_t i = 0; i < a.size(); ++i) {
            const gd::Variant& v = a[i];
            const double d = v.is_number() ? v.as_double() : NAN;
            if (!std::isfinite(d)) {
                *err = str(what, "[", i, "] is ", v.describe(), ": expected a finite number like the rows before it");
                return false;
            }
            s->m.push_back(float(d));
        }
        return true;
    }
    return rows_to_matrix(a, what, &s->width, &s->m, err);
}

bool same_rows(const Side& p, const Side& t, std::string* err) {
    if (p.rows() == t.rows()) return true;
    *err = str("predictions has ", p.rows(), " rows and targets ", t.rows(), ": expected one target per prediction");
    return false;
}

// Class labels of one side: the given integer labels, else the rows' argmax (or > 0.5 for one column).
bool side_labels(const Side& s, const char* what, std::vector<int64_t>* out, std::string* err) {
    if (!s.numbers) {
        metrics::labels_of(s.m.data(), s.rows(), s.width, out);
        return true;
    }
    out->resize(s.m.size());
    for (size_t i = 0; i < s.m.size(); ++i) {
        const double v = s.m[i];
        if (v < 0 || v != std::floor(v) || v >= double(kMaxClasses)) {
            *err = str(what, "[", i, "] is ", v, ": expected a class label, an integer in [0, ", kMaxClasses, ")");
            return false;
        }
        (*out)[i] = int64_t(v);
    }
    return true;
}

// Both sides as class labels and the class count: the rows' width (2 for one column), at least every label + 1,
// or `classes` when given (> 0).
bool class_labels(const gd::Array& predictions, const gd::Array& targets, int64_t classes, std::vector<int64_t>* yp,
                  std::vector<int64_t>* yt, uint32_t* count, std::string* err) {
    Side p, t;
    if (!read_side(predictions, "predictions", &p, err) || !read_side(targets, "targets", &t, err) ||
        !same_rows(p, t, err)) {
        return false;
    }
    if (!p.numbers && !t.numbers && p.width != t.width) {
        *err = str("predictions rows have ", p.width, " values and targets rows ", t.width, ": expected the same width");
        return false;
    }
    if (!side_labels(p, "predictions", yp, err) || !side_labels(t, "targets", yt, err)) return false;
    int64_t need = 1;
    for (const Side* s : {&p, &t}) {
        if (!s->numbers) need = std::max<int64_t>(need, metrics::classes_of(s->width));
    }
    for (const std::vector<int64_t>* y : {yp, yt}) {
        for (int64_t v : *y) need = std::max(need, v + 1);
    }
    if (classes < 0 || classes > kMaxClasses || (classes > 0 && classes < need)) {
        *err = str("classes is ", classes, ": expected 0 (from the data) or a count in [", need, ", ", kMaxClasses,
                   "] (the data hold ", need, " classes)");
        return false;
    }
    *count = uint32_t(classes > 0 ? classes : need);
    return true;
}

gd::Array doubles(const std::vector<double>& v) {
    gd::Array out;
    for (double x : v) out.push_back(gd::Variant(x));
    return out;
}

gd::Array int_rows(const std::vector<int64_t>& m, uint32_t n) {
    gd::Array out;
    for (uint32_t r = 0; r < n; ++r) {
        gd::PackedInt32Array row;
        row.resize(n);
        for (uint32_t c = 0; c < n; ++c) row.data()[c] = int32_t(m[size_t(r) * n + c]);
        out.push_back(gd::Variant(row));
    }
    return out;
}

// Predictions and targets of one shape for the regression metrics (one number per row is a column).
bool regression_sides(const gd::Array& predictions, const gd::Array& targets, Side* p, Side* t, std::string* err) {
    if (!read_side(predictions, "predictions", p, err) || !read_side(targets, "targets", t, err) ||
        !same_rows(*p, *t, err)) {
        return false;
    }
    if (t->numbers && !p->numbers && p->width > 1) {  // class labels against score rows: one-hot, as fit() does
        std::vector<int64_t> labels;
        if (!side_labels(*t, "targets", &labels, err)) return false;
        t->m.assign(labels.size() * p->width, 0.0f);
        for (size_t i = 0; i < labels.size(); ++i) {
            if (labels[i] >= int64_t(p->width)) {
                *err = str("targets[", i, "] is class ", labels[i], ": expected < ", p->width, " (the rows' width)");
                return false;
            }
            t->m[i * p->width + size_t(labels[i])] = 1.0f;
        }
        t->width = p->width;
        t->numbers = false;
    }
    if (p->width != t->width) {
        *err = str("predictions rows have ", p->width, " values and targets rows ", t->width,
                   ": expected the same width");
        return false;
    }
    return true;
}

// Outputs and targets of a network on a data set, for the seed API's metrics; false after push_error.
bool outputs_and_targets(const ExtRef<LKNetwork>& network, const gd::Array& inputs, const gd::Array& targets,
                         std::vector<float>* Y, std::vector<float>* T, size_t* rows, const char* where) {
    if (!network) {
        push_error(where, "network is null: expected an LKNetwork");
        return false;
    }
    uint32_t width = network->net.input_width();
    std::vector<float> X;
    std::string err;
    if (!rows_to_matrix(inputs, "inputs", &width, &X, &err) ||
        !targets_to_matrix(targets, X.size() / width, network->net.output_width(), T, &err)) {
        push_error(where, err);
        return false;
    }
    *rows = X.size() / width;
    return network->run_forward(X, *rows, Y, where);
}

}  // namespace

double LearnKitEvaluate::evaluate_model_soft_max(const ExtRef<LKNetwork>& network, const gd::Array& inputs,
                                                 const gd::Array& targets) {
    std::vector<float> Y, T;
    size_t rows = 0;
    if (!outputs_and_targets(network, inputs, targets, &Y, &T, &rows, "evaluate.evaluate_model_soft_max")) return 0.0;
    const size_t w = network->net.output_width();
    size_t correct = 0;
    for (size_t r = 0; r < rows; ++r) {
        const float* y = Y.data() + r * w;
        const float* t = T.data() + r * w;
        correct += size_t(std::max_element(y, y + w) - y) == size_t(std::max_element(t, t + w) - t);
    }
    return double(correct) / double(rows);
}

double LearnKitEvaluate::mse(const ExtRef<LKNetwork>& network, const gd::Array& inputs, const gd::Array& targets) {
    std::vector<float> Y, T;
    size_t rows = 0;
    if (!outputs_and_targets(network, inputs, targets, &Y, &T, &rows, "evaluate.mse")) return NAN;
    double sum = 0.0;
    for (size_t i = 0; i < Y.size(); ++i) sum += double(Y[i] - T[i]) * double(Y[i] - T[i]);
    return sum / double(Y.size());
}

double LearnKitEvaluate::accuracy(const gd::Array& predictions, const gd::Array& targets) {
    std::vector<int64_t> yp, yt;
    uint32_t classes = 0;
    std::string err;
    if (!class_labels(predictions, targets, 0, &yp, &yt, &classes, &err)) {
        push_error("evaluate.accuracy", err);
        return NAN;
    }
    return metrics::accuracy(yt.data(), yp.data(), yt.size());
}

double LearnKitEvaluate::top_k_accuracy(const gd::Array& predictions, const gd::Array& targets, int64_t k) {
    const char* where = "evaluate.top_k_accuracy";
    Side p;
    std::string err;
    std::vector<int64_t> yt;
    if (read_side(predictions, "predictions", &p, &err) && (p.numbers || p.width < 2)) {
        err = "predictions must be rows of at least 2 class scores (probabilities or logits), got one number per row";
    }
    if (err.empty() && k < 1) err = str("k is ", k, ": expected at least 1");
    Side t;
    if (err.empty() && read_side(targets, "targets", &t, &err) && same_rows(p, t, &err)) {
        if (!t.numbers && t.width != p.width) {
            err = str("targets rows have ", t.width, " values: expected ", p.width, " (one-hot) or class labels");
        } else if (side_labels(t, "targets", &yt, &err)) {
            for (size_t i = 0; i < yt.size() && err.empty(); ++i) {
                if (yt[i] >= int64_t(p.width)) err = str("targets[", i, "] is class ", yt[i], ": expected < ", p.width);
            }
        }
    }
    if (!err.empty()) {
        push_error(where, err);
        return NAN;
    }
    return metrics::top_k_accuracy(p.m.data(), p.rows(), p.width, yt.data(), uint32_t(std::min<int64_t>(k, p.width)));
}

gd::Array LearnKitEvaluate::confusion_matrix(const gd::Array& predictions, const gd::Array& targets, int64_t classes) {
    std::vector<int64_t> yp, yt;
    uint32_t n = 0;
    std::string err;
    if (!class_labels(predictions, targets, classes, &yp, &yt, &n, &err)) {
        push_error("evaluate.confusion_matrix", err);
        return gd::Array();
    }
    return int_rows(metrics::classification_report(yt.data(), yp.data(), yt.size(), n).confusion, n);
}

gd::Dictionary LearnKitEvaluate::classification_report(const gd::Array& predictions, const gd::Array& targets,
                                                       int64_t classes, double zero_division) {
    const char* where = "evaluate.classification_report";
    std::vector<int64_t> yp, yt;
    uint32_t n = 0;
    std::string err;
    if (!(zero_division >= 0.0 && zero_division <= 1.0)) {  // sklearn accepts 0, 1 or nan; NaN would spread
        push_error(where, str("zero_division is ", zero_division, ": expected a value in [0, 1]"));
        return gd::Dictionary();
    }
    if (!class_labels(predictions, targets, classes, &yp, &yt, &n, &err)) {
        push_error(where, err);
        return gd::Dictionary();
    }
    const metrics::ClassReport r = metrics::classification_report(yt.data(), yp.data(), yt.size(), n, zero_division);
    gd::Dictionary out;
    out[gd::Variant("classes")] = gd::Variant(int64_t(n));
    out[gd::Variant("accuracy")] = gd::Variant(r.accuracy);
    out[gd::Variant("confusion_matrix")] = gd::Variant(int_rows(r.confusion, n));
    out[gd::Variant("precision")] = gd::Variant(doubles(r.precision));
    out[gd::Variant("recall")] = gd::Variant(doubles(r.recall));
    out[gd::Variant("f1")] = gd::Variant(doubles(r.f1));
    gd::PackedInt32Array support;
    support.resize(n);
    for (uint32_t c = 0; c < n; ++c) support.data()[c] = int32_t(r.support[c]);
    out[gd::Variant("support")] = gd::Variant(support);
    out[gd::Variant("macro_precision")] = gd::Variant(r.macro_precision);
    out[gd::Variant("macro_recall")] = gd::Variant(r.macro_recall);
    out[gd::Variant("macro_f1")] = gd::Variant(r.macro_f1);
    out[gd::Variant("weighted_precision")] = gd::Variant(r.weighted_precision);
    out[gd::Variant("weighted_recall")] = gd::Variant(r.weighted_recall);
    out[gd::Variant("weighted_f1")] = gd::Variant(r.weighted_f1);
    return out;
}

gd::Dictionary LearnKitEvaluate::regression_report(const gd::Array& predictions, const gd::Array& targets) {
    Side p, t;
    std::string err;
    if (!regression_sides(predictions, targets, &p, &t, &err)) {
        push_error("evaluate.regression_report", err);
        return gd::Dictionary();
    }
    const metrics::RegressionReport r = metrics::regression_report(p.m.data(), t.m.data(), p.rows(), p.width);
    gd::Dictionary out;
    out[gd::Variant("mse")] = gd::Variant(r.mse);
    out[gd::Variant("mae")] = gd::Variant(r.mae);
    out[gd::Variant("r2")] = gd::Variant(r.r2);
    return out;
}

gd::Dictionary LearnKitEvaluate::metrics(const gd::Array& predictions, const gd::Array& targets,
                                         const gd::Array& names, int64_t k) {
    const char* where = "evaluate.metrics";
    std::vector<metrics::Metric> wanted;
    for (int64_t i = 0; i < names.size(); ++i) {
        metrics::Metric m;
        const gd::Variant& v = names[i];
        const bool text = v.get_type() == GDEXTENSION_VARIANT_TYPE_STRING ||
                          v.get_type() == GDEXTENSION_VARIANT_TYPE_STRING_NAME;
        if (!text || !metrics::metric_from_name(v.as_string().utf8(), &m)) {
            push_error(where, str("names[", i, "] is ", v.describe(), ": expected one of ", metrics::metric_names()));
            return gd::Dictionary();
        }
        wanted.push_back(m);
    }
    gd::Dictionary out;
    for (metrics::Metric m : wanted) {
        double v = NAN;
        switch (m) {
            case metrics::Metric::ACCURACY: v = accuracy(predictions, targets); break;
            case metrics::Metric::TOP_K_ACCURACY: v = top_k_accuracy(predictions, targets, k); break;
            case metrics::Metric::PRECISION:
            case metrics::Metric::RECALL:
            case metrics::Metric::F1: {
                const gd::Dictionary r = classification_report(predictions, targets, 0, 0.0);
                gd::Variant got;
                const char* key = m == metrics::Metric::PRECISION ? "macro_precision"
                                  : m == metrics::Metric::RECALL  ? "macro_recall"
                                                                  : "macro_f1";
                if (r.lookup(gd::Variant(key), &got)) v = got.as_double();
                break;
            }
            default: {
                const gd::Dictionary r = regression_report(predictions, targets);
                gd::Variant got;
                if (r.lookup(gd::Variant(metrics::metric_name(m)), &got)) v = got.as_double();
            }
        }
        if (std::isnan(v)) return gd::Dictionary();  // the call above said why
        out[gd::Variant(metrics::metric_name(m))] = gd::Variant(v);
    }
    return out;
}

}  // namespace lk::api
