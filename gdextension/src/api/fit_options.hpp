// The options Dictionary of LKTrainer.fit() / fit_async() / fit_flat() / fit_async_flat() / train_for():
// validation_split, validation_shuffle, validation_data (Arrays of rows, or flat), metrics, top_k,
// early_stopping, on_epoch (see api.yaml). Parsed into the core's FitWatch
// plus what the Godot layer keeps: the validation rows it owns and the callback.
#pragma once
#include <string>
#include <vector>

#include "core/fit_monitor.hpp"
#include "core/session.hpp"
#include "gd_classes.hpp"

namespace lk::api {

struct FitOptions {
    FitWatch watch;               // its val_x / val_t point into val_x / val_t below (set by parse)
    std::vector<float> val_x, val_t;
    gd::Variant on_epoch;         // a Callable, or nil
    bool has_callback() const { return !on_epoch.is_nil(); }
};

// Parses options for a fit of X/T (rows rows, already converted and checked); validation_split moves the
// held-out rows from X/T into out->val_x / val_t. "" or what is wrong (naming the key and what was expected).
std::string parse_fit_options(const gd::Dictionary& options, const Model& net, Loss loss, uint64_t seed,
                              std::vector<float>* X, std::vector<float>* T, size_t* rows, FitOptions* out);

// An epoch's log as the Dictionary that signals and callbacks get: {"loss": float, "val_loss": float, ...}.
gd::Dictionary log_dictionary(const EpochLog& log);

// Calls the on_epoch Callable with (epoch, logs): false when it returned false (stop), or failed (*err says why).
bool call_on_epoch(const gd::Variant& callable, int64_t epoch, const gd::Dictionary& logs, std::string* err);

}  // namespace lk::api
