// What fit() watches per epoch beyond the training loss (Keras's validation_data, metrics, EarlyStopping):
// validation rows evaluated in eval mode after every epoch, metrics by name (core/metrics.hpp), early stopping
// with its best-weights snapshot, and the write-back of the parameters to the model after every epoch so that
// an observer (a signal handler, a callback) sees the current network. Godot-free; Session::fit runs it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/metrics.hpp"
#include "core/model.hpp"
#include "core/schedule.hpp"

namespace lk {

struct EarlyStopping {
    bool enabled = false;
    std::string monitor;     // "loss", "val_loss", a metric ("accuracy") or a validation metric ("val_accuracy")
    double min_delta = 0.0;  // an improvement must beat the best value by more than this (>= 0)
    int patience = 0;        // epochs without improvement before stopping
    bool maximize = false;   // mode "max" (auto: true for accuracy-like metrics and r2)
    bool restore_best_weights = false;
};

struct FitWatch {
    // Validation rows (row-major, the model's input and output widths); none when val_rows is 0.
    const float* val_x = nullptr;
    const float* val_t = nullptr;
    size_t val_rows = 0;
    std::vector<metrics::Metric> metrics;  // on the training rows, and on the validation rows as "val_<name>"
    uint32_t top_k = 5;                    // k of top_k_accuracy
    EarlyStopping early;
    bool write_back = false;  // parameters to the model after every epoch even without anything above
    bool active() const { return val_rows > 0 || !metrics.empty() || early.enabled || write_back; }
};

// One epoch's values by name, in a fixed order: loss, val_loss, then each metric and its val_ twin.
struct EpochLog {
    int epoch = 0;
    std::vector<std::pair<std::string, double>> values;
    double get(const std::string& name) const;  // NAN when absent
};

// An epoch's log from what the watched epoch read back: the training loss, the validation batches' losses
// (eval batches of eval_rows rows; weighted by rows like the training loss), and the outputs of the validation
// and training rows for the metrics (train_t: the training targets, n rows).
EpochLog epoch_log(int epoch, float loss, const FitWatch& watch, const float* val_losses, uint32_t eval_rows,
                   const std::vector<float>& val_y, const std::vector<float>& train_y, const float* train_t,
                   uint32_t n, uint32_t out_width);

// The names a watch logs, in EpochLog order.
std::vector<std::string> watch_names(const FitWatch& watch);
// "" or what is wrong: the monitor names no logged value, a metric does not fit the output width, bad numbers.
std::string check_watch(const FitWatch& watch, const Model& net);
// "" or why a plateau schedule's monitor is not among the values this watch logs (who: "the plateau schedule").
// The training loss ("loss") needs no watch.
std::string check_schedule_watch(const Schedule& schedule, const FitWatch& watch);

// Keras's EarlyStopping: tracks the best monitored value; after `patience` epochs without an improvement of
// more than min_delta it asks to stop. With restore_best_weights it keeps a copy of the parameters and buffers
// of the best epoch (taken from the model, which fit() has written back by then).
class EarlyStopper {
public:
    explicit EarlyStopper(const EarlyStopping& cfg) : cfg_(cfg) {}
    // After an epoch's write-back: returns true when training should stop now.
    bool observe(const EpochLog& log, const Model& net);
    int best_epoch() const { return best_epoch_; }
    // Writes the best epoch's parameters and buffers into the model (restore_best_weights); false when there is
    // nothing to restore.
    bool restore(Model& net) const;

private:
    EarlyStopping cfg_;
    double best_ = 0.0;
    int best_epoch_ = -1, wait_ = 0;
    std::vector<float> params_, buffers_;
};

}  // namespace lk
