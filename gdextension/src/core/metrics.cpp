#include "core/metrics.hpp"

#include <algorithm>
#include <cmath>

namespace lk::metrics {

void labels_of(const float* m, size_t rows, uint32_t width, std::vector<int64_t>* out) {
    out->resize(rows);
    for (size_t r = 0; r < rows; ++r) {
        const float* row = m + r * width;
        (*out)[r] = width == 1 ? int64_t(row[0] > 0.5f) : int64_t(std::max_element(row, row + width) - row);
    }
}

double accuracy(const int64_t* y_true, const int64_t* y_pred, size_t n) {
    if (n == 0) return 0.0;
    size_t hits = 0;
    for (size_t i = 0; i < n; ++i) hits += y_true[i] == y_pred[i];
    return double(hits) / double(n);
}

double top_k_accuracy(const float* scores, size_t rows, uint32_t width, const int64_t* y_true, uint32_t k) {
    if (rows == 0) return 0.0;
    size_t hits = 0;
    for (size_t r = 0; r < rows; ++r) {
        const float* s = scores + r * width;
        const int64_t t = y_true[r];
        const float st = s[t];
        // The true class's rank: classes ranked before it are those with a higher score, and (sklearn sorts
        // ascending with a stable sort, then reverses) those with an equal score and a higher index.
        uint32_t ahead = 0;
        for (uint32_t c = 0; c < width; ++c) ahead += s[c] > st || (s[c] == st && int64_t(c) > t);
        hits += ahead < k;
    }
    return double(hits) / double(rows);
}

namespace {
double ratio(double num, double den, double zero_division) { return den > 0.0 ? num / den : zero_division; }
}  // namespace

ClassReport classification_report(const int64_t* y_true, const int64_t* y_pred, size_t n, uint32_t classes,
                                  double zero_division) {
    ClassReport r;
    r.classes = classes;
    r.confusion.assign(size_t(classes) * classes, 0);
    for (size_t i = 0; i < n; ++i) ++r.confusion[size_t(y_true[i]) * classes + size_t(y_pred[i])];
    r.precision.assign(classes, 0.0);
    r.recall.assign(classes, 0.0);
    r.f1.assign(classes, 0.0);
    r.support.assign(classes, 0);
    r.accuracy = accuracy(y_true, y_pred, n);
    size_t present = 0;
    int64_t total = 0;
    for (uint32_t c = 0; c < classes; ++c) {
        int64_t predicted = 0;
        for (uint32_t t = 0; t < classes; ++t) predicted += r.confusion[size_t(t) * classes + c];
        int64_t actual = 0;
        for (uint32_t p = 0; p < classes; ++p) actual += r.confusion[size_t(c) * classes + p];
        const double tp = double(r.confusion[size_t(c) * classes + c]);
        r.support[c] = actual;
        r.precision[c] = ratio(tp, double(predicted), zero_division);
        r.recall[c] = ratio(tp, double(actual), zero_division);
        // sklearn's F-score from counts: 2 tp / (true + predicted), zero_division when both are 0.
        r.f1[c] = ratio(2.0 * tp, double(actual + predicted), zero_division);
        if (actual + predicted == 0) continue;  // in neither y_true nor y_pred: not one of sklearn's labels
        ++present;
        total += actual;
        r.macro_precision += r.precision[c];
        r.macro_recall += r.recall[c];
        r.macro_f1 += r.f1[c];
        r.weighted_precision += r.precision[c] * double(actual);
        r.weighted_recall += r.recall[c] * double(actual);
        r.weighted_f1 += r.f1[c] * double(actual);
    }
    if (present > 0) {
        r.macro_precision /= double(present);
        r.macro_recall /= double(present);
        r.macro_f1 /= double(present);
    }
    if (total > 0) {
        r.weighted_precision /= double(total);
        r.weighted_recall /= double(total);
        r.weighted_f1 /= double(total);
    }
    return r;
}

RegressionReport regression_report(const float* y_pred, const float* y_true, size_t rows, uint32_t width) {
    RegressionReport r;
    if (rows == 0 || width == 0) return r;
    double se = 0.0, ae = 0.0, r2 = 0.0;
    for (uint32_t c = 0; c < width; ++c) {
        double mean = 0.0;
        for (size_t i = 0; i < rows; ++i) mean += double(y_true[i * width + c]);
        mean /= double(rows);
        double res = 0.0, tot = 0.0;
        for (size_t i = 0; i < rows; ++i) {
            const double t = double(y_true[i * width + c]), d = double(y_pred[i * width + c]) - t;
            res += d * d;
            ae += std::fabs(d);
            tot += (t - mean) * (t - mean);
        }
        se += res;
        r2 += tot > 0.0 ? 1.0 - res / tot : (res == 0.0 ? 1.0 : 0.0);
    }
    const double count = double(rows) * double(width);
    r.mse = se / count;
    r.mae = ae / count;
    r.r2 = r2 / double(width);
    return r;
}

namespace {
struct MetricName {
    const char* name;
    Metric metric;
    bool higher_better;
};
constexpr MetricName kMetrics[] = {
    {"accuracy", Metric::ACCURACY, true}, {"top_k_accuracy", Metric::TOP_K_ACCURACY, true},
    {"precision", Metric::PRECISION, true}, {"recall", Metric::RECALL, true}, {"f1", Metric::F1, true},
    {"mse", Metric::MSE, false}, {"mae", Metric::MAE, false}, {"r2", Metric::R2, true},
};
}  // namespace

bool metric_from_name(const std::string& name, Metric* out) {
    for (const MetricName& m : kMetrics) {
        if (name == m.name) {
            *out = m.metric;
            return true;
        }
    }
    return false;
}

const char* metric_name(Metric m) {
    for (const MetricName& e : kMetrics) {
        if (e.metric == m) return e.name;
    }
    return "?";
}

std::string metric_names() {
    std::string out;
    for (const MetricName& m : kMetrics) out += std::string(out.empty() ? "" : ", ") + m.name;
    return out;
}

bool metric_higher_is_better(Metric m) {
    for (const MetricName& e : kMetrics) {
        if (e.metric == m) return e.higher_better;
    }
    return false;
}

double compute(Metric m, const float* Y, const float* T, size_t rows, uint32_t width, uint32_t k) {
    if (m == Metric::MSE || m == Metric::MAE || m == Metric::R2) {
        const RegressionReport r = regression_report(Y, T, rows, width);
        return m == Metric::MSE ? r.mse : m == Metric::MAE ? r.mae : r.r2;
    }
    std::vector<int64_t> yt, yp;
    labels_of(T, rows, width, &yt);
    if (m == Metric::TOP_K_ACCURACY) return top_k_accuracy(Y, rows, width, yt.data(), k);
    labels_of(Y, rows, width, &yp);
    if (m == Metric::ACCURACY) return accuracy(yt.data(), yp.data(), rows);
    const ClassReport r = classification_report(yt.data(), yp.data(), rows, classes_of(width));
    return m == Metric::PRECISION ? r.macro_precision : m == Metric::RECALL ? r.macro_recall : r.macro_f1;
}

}  // namespace lk::metrics
