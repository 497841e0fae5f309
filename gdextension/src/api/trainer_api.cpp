#include "api/trainer_api.hpp"

#include <algorithm>
#include <cmath>

#include "api/backends.hpp"
#include "api/catalogue_names.hpp"
#include "api/convert.hpp"
#include "api/float_checks.hpp"
#include "core/validate.hpp"
#include "glue.hpp"
#include "godot/log.hpp"

namespace lk::api {

void LKOptimizer::set_kind(const gd::String& value) {
    Optimizer o;
    if (!optimizer_from_name(value.utf8(), &o)) {
        push_error("LKOptimizer.kind", str("unknown optimizer \"", value.utf8(), "\": expected ", optimizer_names()));
        return;
    }
    if (o != kind) hyper = optimizer_info(o).defaults;  // another rule: its own defaults, not the old one's
    kind = o;
}

double LKSchedule::learning_rate_at(int64_t epoch) const {
    // Clamped, not truncated: epoch 4294967296 is past any period, not epoch 0.
    const int e = int(std::clamp<int64_t>(epoch, 0, INT32_MAX));
    return lk::learning_rate_at(schedule, to_f32(lr_max), e, schedule.period);
}

gd::PackedFloat32Array LKHistory::get_loss() const {
    return to_packed(result.epoch_loss.data(), result.epoch_loss.size());
}

void LKTrainer::set_loss(const gd::String& value) {
    Loss l;
    if (!loss_from_name(value.utf8(), &l)) {
        push_error("LKTrainer.loss", str("unknown loss \"", value.utf8(), "\": expected ", loss_names()));
        return;
    }
    loss = l;
}

void LKTrainer::set_optimizer(const ExtRef<LKOptimizer>& value) {
    if (!value) {
        push_error("LKTrainer.optimizer", "null optimizer: expected an LKOptimizer (e.g. LearnKit.adam())");
        return;
    }
    optimizer = value;
}

void LKTrainer::set_device(const gd::String& value) {
    const std::string d = value.utf8();
    if (!d.empty() && !valid_device(d)) {
        push_error("LKTrainer.device", str("unknown device \"", d, "\": expected \"auto\", \"gpu\" or \"cpu\""));
        return;
    }
    device = d;
}

namespace {
// One call at a time per trainer, and one training call at a time per network: a second one (from another
// thread, or from an epoch_completed handler of a running fit()) is refused, never run on shared memory.
class CallGuard {
public:
    CallGuard(Session& session, Model* model, const char* where) : session_(session), model_(model) {
        if (!session_.try_enter()) {
            push_error(where, "this trainer is already running a call (on another thread, or this is a signal handler "
                              "of its own fit()): one call at a time per trainer");
            return;
        }
        entered_ = true;
        if (model_ && !model_->begin_training()) {
            push_error(where, "the network is already being trained by another call (another trainer or thread, or "
                              "a signal handler of its fit()): one training call at a time per network");
            model_ = nullptr;
            return;
        }
        ok_ = true;
    }
    ~CallGuard() {
        if (model_ && ok_) model_->end_training();
        if (entered_) session_.leave();
    }
    bool ok() const { return ok_; }

private:
    Session& session_;
    Model* model_;
    bool entered_ = false, ok_ = false;
};
}  // namespace

bool LKTrainer::config(TrainConfig* cfg, const char* where) const {
    if (!network) {
        push_error(where, "the trainer has no network: create it with LearnKit.trainer(network) or nn.trainer()");
        return false;
    }
    const Optimizer kind = optimizer ? optimizer->kind : Optimizer::ADAM;
    *cfg = TrainConfig::for_optimizer(kind);
    if (optimizer) {
        cfg->hyper = optimizer->hyper;
        cfg->clip_norm = to_f32(optimizer->clip_norm);
    }
    cfg->loss = loss;
    cfg->learning_rate = to_f32(schedule ? schedule->lr_max : learning_rate);
    if (schedule) cfg->schedule = schedule->schedule;
    cfg->epochs = int(std::min<int64_t>(epochs, 1 << 30));
    cfg->batch_size = int(std::min<int64_t>(batch_size, 1 << 30));
    cfg->seed = uint64_t(seed);
    cfg->shuffle = shuffle;
    cfg->stop_on_nonfinite = stop_on_nonfinite;
    if (epochs <= 0 || batch_size <= 0) {
        push_error(where, str(epochs <= 0 ? "epochs" : "batch_size", " is ", epochs <= 0 ? epochs : batch_size,
                              ": expected a positive number"));
        return false;
    }
    std::string bad = check_config(*cfg, true);
    if (bad.empty()) bad = network->net.validate();
    if (!bad.empty()) {
        push_error(where, bad);
        return false;
    }
    return true;
}

bool LKTrainer::read_data(const gd::Array& inputs, const gd::Array& targets, std::vector<float>* X,
                          std::vector<float>* T, size_t* rows, const char* where) const {
    uint32_t width = network->net.input_width();
    std::string err;
    if (!rows_to_matrix(inputs, "inputs", &width, X, &err) ||
        !targets_to_matrix(targets, X->size() / width, network->net.output_width(), T, &err)) {
        push_error(where, err);
        return false;
    }
    *rows = X->size() / width;
    const std::string bad = check_targets(loss, T->data(), *rows, network->net.output_width());
    if (!bad.empty()) {
        push_error(where, bad);
        return false;
    }
    return true;
}

Backend* LKTrainer::backend_for(size_t batch_rows, const char* where) {
    return choose_backend(device.empty() ? network->device : device, network->net, batch_rows, where,
                          trainer_);
}

ExtRef<LKHistory> LKTrainer::run_fit(const std::vector<float>& X, const std::vector<float>& T, size_t rows,
                                     const char* where) {
    TrainConfig cfg;
    if (!config(&cfg, where)) return {};
    CallGuard guard(trainer_, &network->net, where);
    if (!guard.ok()) return {};
    Backend* backend = backend_for(std::min<size_t>(rows, size_t(cfg.batch_size)), where);
    if (!backend) return {};
    ExtRef<LKHistory> history = ExtRef<LKHistory>::create();
    FitHooks hooks;
    const GDExtensionObjectPtr self = owner();
    hooks.on_epoch = [self](int epoch, float loss_value) {
        signals::LKTrainer_epoch_completed(self, int64_t(epoch), double(loss_value));
    };
    std::string err;
    if (!trainer_.fit(network->net, X.data(), T.data(), rows, cfg, *backend, &history->result, &err, hooks)) {
        push_error(where, err);
        return {};
    }
    const FitResult& r = history->result;
    if (r.nonfinite_epoch >= 0) {  // never silent: the numbers after this point are NaN or Inf
        push_warning(where, str("the loss became NaN or infinite in epoch ", r.nonfinite_epoch, ", step ",
                                r.nonfinite_step, " (", r.stopped ? "training stopped there" : "training went on",
                                "): lower the learning rate or weight decay, check the data's scale, or set clip_norm"));
    }
    note_used(*backend);
    return history;
}

ExtRef<LKHistory> LKTrainer::fit(const gd::Array& inputs, const gd::Array& targets) {
    const char* where = "LKTrainer.fit";
    std::vector<float> X, T;
    size_t rows = 0;
    TrainConfig cfg;
    if (!config(&cfg, where) || !read_data(inputs, targets, &X, &T, &rows, where)) return {};
    return run_fit(X, T, rows, where);
}

ExtRef<LKHistory> LKTrainer::fit_flat(const gd::PackedFloat32Array& inputs, const gd::PackedFloat32Array& targets,
                                      int64_t rows) {
    const char* where = "LKTrainer.fit_flat";
    TrainConfig cfg;
    if (!config(&cfg, where)) return {};
    if (rows <= 0) {
        push_error(where, str("rows is ", rows, ": expected a positive row count"));
        return {};
    }
    const Model& net = network->net;
    std::string bad = check_matrix("inputs", inputs.data(), size_t(inputs.size()), size_t(rows), net.input_width());
    if (bad.empty())
        bad = check_matrix("targets", targets.data(), size_t(targets.size()), size_t(rows), net.output_width());
    if (bad.empty()) bad = check_targets(loss, targets.data(), size_t(rows), net.output_width());
    if (!bad.empty()) {
        push_error(where, bad);
        return {};
    }
    std::vector<float> X(inputs.data(), inputs.data() + inputs.size());
    std::vector<float> T(targets.data(), targets.data() + targets.size());
    return run_fit(X, T, size_t(rows), where);
}

double LKTrainer::train(const gd::Array& inputs, const gd::Array& targets) {
    ExtRef<LKHistory> history = fit(inputs, targets);
    return history ? history->result.total_ms : -1.0;
}

double LKTrainer::step(const gd::Array& inputs, const gd::Array& targets) {
    const char* where = "LKTrainer.step";
    TrainConfig cfg;
    std::vector<float> X, T;
    size_t rows = 0;
    if (!config(&cfg, where) || !read_data(inputs, targets, &X, &T, &rows, where)) return NAN;
    CallGuard guard(trainer_, &network->net, where);
    if (!guard.ok()) return NAN;
    Backend* backend = backend_for(rows, where);
    if (!backend) return NAN;
    float value = NAN;
    std::string err;
    if (!trainer_.step(network->net, X.data(), T.data(), rows, cfg, *backend, &value, &err)) {
        push_error(where, err);
        return NAN;
    }
    note_used(*backend);
    return value;
}

gd::Dictionary LKTrainer::compute_gradients(const gd::Array& inputs, const gd::Array& targets) {
    const char* where = "LKTrainer.compute_gradients";
    TrainConfig cfg;
    std::vector<float> X, T, grads;
    size_t rows = 0;
    if (!config(&cfg, where) || !read_data(inputs, targets, &X, &T, &rows, where)) return gd::Dictionary();
    CallGuard guard(trainer_, &network->net, where);  // a train-mode forward updates running statistics
    if (!guard.ok()) return gd::Dictionary();
    Backend* backend = backend_for(rows, where);
    if (!backend) return gd::Dictionary();
    float value = NAN;
    std::string err;
    if (!trainer_.gradients(network->net, X.data(), T.data(), rows, loss, *backend, &value, &grads, &err,
                            cfg.seed)) {
        push_error(where, err);
        return gd::Dictionary();
    }
    note_used(*backend);
    gd::Dictionary out;
    out[gd::Variant("loss")] = gd::Variant(double(value));
    out[gd::Variant("gradients")] = gd::Variant(per_op_tensors(network->net, grads.data()));
    return out;
}

}  // namespace lk::api
