// Evaluation metrics with scikit-learn's definitions (sklearn.metrics), on the row-major float matrices the
// trainer uses: predictions rows x width (scores, probabilities or one value per row) against targets of the
// same shape (one-hot or distribution rows for classes, values for regression). Godot-free; the GDScript face
// is api/learnkit_evaluate.*, and fit() computes the named ones per epoch (core/fit_monitor.*).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lk::metrics {

// Class labels of a matrix: the argmax of each row (the first one on ties, like numpy.argmax) when width > 1;
// with one column, value > 0.5 is class 1 (a sigmoid output or a 0/1 target; Keras's binary threshold).
void labels_of(const float* m, size_t rows, uint32_t width, std::vector<int64_t>* out);
// The classes a matrix of this width holds: width, or 2 for a single column.
inline uint32_t classes_of(uint32_t width) { return width > 1 ? width : 2u; }

// sklearn.metrics.accuracy_score.
double accuracy(const int64_t* y_true, const int64_t* y_pred, size_t n);
// sklearn.metrics.top_k_accuracy_score on a rows x width score matrix: the true class is among the k highest
// scores. Ties rank like sklearn's (a stable argsort, reversed: among equal scores the higher class comes first).
double top_k_accuracy(const float* scores, size_t rows, uint32_t width, const int64_t* y_true, uint32_t k);

// sklearn.metrics.confusion_matrix / precision_recall_fscore_support / classification_report.
struct ClassReport {
    uint32_t classes = 0;
    std::vector<int64_t> confusion;  // classes x classes, row = true class, column = predicted class
    std::vector<double> precision, recall, f1;  // per class 0..classes-1 (labels=range(classes))
    std::vector<int64_t> support;               // rows of each true class
    double accuracy = 0.0;
    // Averages over the classes that occur in y_true or y_pred (sklearn's default labels=None): macro is the
    // plain mean, weighted the mean weighted by support.
    double macro_precision = 0.0, macro_recall = 0.0, macro_f1 = 0.0;
    double weighted_precision = 0.0, weighted_recall = 0.0, weighted_f1 = 0.0;
};
// zero_division: the value of a ratio whose denominator is 0 (precision of a class never predicted, recall of
// a class absent from y_true, F1 when both are 0); sklearn's default ("warn") gives 0.
ClassReport classification_report(const int64_t* y_true, const int64_t* y_pred, size_t n, uint32_t classes,
                                  double zero_division = 0.0);

// sklearn.metrics mean_squared_error, mean_absolute_error, r2_score with multioutput="uniform_average" (the
// mean over the columns). R2 of a constant target column: 1 when predicted exactly, else 0 (force_finite).
struct RegressionReport {
    double mse = 0.0, mae = 0.0, r2 = 0.0;
};
RegressionReport regression_report(const float* y_pred, const float* y_true, size_t rows, uint32_t width);

// Metrics by name, for fit()'s "metrics" option: every one is computed from predictions and one-hot / value
// targets of the same width.
enum class Metric { ACCURACY, TOP_K_ACCURACY, PRECISION, RECALL, F1, MSE, MAE, R2 };
bool metric_from_name(const std::string& name, Metric* out);
const char* metric_name(Metric m);
std::string metric_names();  // "accuracy, top_k_accuracy, ..." for error messages
// true when a larger value is better (early stopping's mode "auto").
bool metric_higher_is_better(Metric m);
// One metric of predictions Y against targets T (rows x width each). precision, recall and f1 are macro
// averages; top_k_accuracy uses k (and needs width > 1).
double compute(Metric m, const float* Y, const float* T, size_t rows, uint32_t width, uint32_t k);

}  // namespace lk::metrics
