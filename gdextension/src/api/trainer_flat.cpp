// LKTrainer.fit_flat() and fit_async_flat(): fit() and fit_async() on flat row-major PackedFloat32Arrays (no
// Array of rows to convert), with the same options.
#include <memory>

#include "api/trainer_api.hpp"
#include "api/training_job.hpp"
#include "core/validate.hpp"
#include "godot/log.hpp"

namespace lk::api {

bool LKTrainer::read_flat_fit(const gd::PackedFloat32Array& inputs, const gd::PackedFloat32Array& targets,
                              int64_t rows, const gd::Dictionary& options, TrainConfig* cfg, std::vector<float>* X,
                              std::vector<float>* T, size_t* n, FitOptions* opts, const char* where) {
    if (!config(cfg, where)) return false;
    if (rows <= 0) {
        push_error(where, str("rows is ", rows, ": expected a positive row count"));
        return false;
    }
    const Model& net = network->net;
    std::string bad = check_matrix("inputs", inputs.data(), size_t(inputs.size()), size_t(rows), net.input_width());
    if (bad.empty()) {
        bad = check_matrix("targets", targets.data(), size_t(targets.size()), size_t(rows), net.output_width());
    }
    if (bad.empty()) bad = check_targets(loss, targets.data(), size_t(rows), net.output_width());
    if (!bad.empty()) {
        push_error(where, bad);
        return false;
    }
    X->assign(inputs.data(), inputs.data() + inputs.size());
    T->assign(targets.data(), targets.data() + targets.size());
    *n = size_t(rows);
    return read_options(options, *cfg, X, T, n, opts, where);
}

ExtRef<LKHistory> LKTrainer::fit_flat(const gd::PackedFloat32Array& inputs, const gd::PackedFloat32Array& targets,
                                      int64_t rows, const gd::Dictionary& options) {
    const char* where = "LKTrainer.fit_flat";
    std::vector<float> X, T;
    size_t n = 0;
    TrainConfig cfg;
    FitOptions opts;
    if (!read_flat_fit(inputs, targets, rows, options, &cfg, &X, &T, &n, &opts, where)) return {};
    return run_fit(X, T, n, where, &opts);
}

ExtRef<LKTrainingJob> LKTrainer::fit_async_flat(const gd::PackedFloat32Array& inputs,
                                                const gd::PackedFloat32Array& targets, int64_t rows,
                                                const gd::Dictionary& options) {
    const char* where = "LKTrainer.fit_async_flat";
    auto X = std::make_shared<std::vector<float>>(), T = std::make_shared<std::vector<float>>();
    auto opts = std::make_shared<FitOptions>();
    size_t n = 0;
    TrainConfig cfg;
    if (!read_flat_fit(inputs, targets, rows, options, &cfg, X.get(), T.get(), &n, opts.get(), where)) return {};
    return start_job(X, T, n, cfg, opts, where);
}

}  // namespace lk::api
