#include "api/trainer_api.hpp"

#include <algorithm>
#include <cmath>

#include "api/backends.hpp"
#include "api/catalogue_names.hpp"
#include "api/convert.hpp"
#include "api/float_checks.hpp"
#include "api/loss_settings.hpp"
#include "api/trainer_calls.hpp"
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

std::string LKOptimizer::assign(const std::string& name, const gd::Variant& value) {
    if (!optimizer_has_hyper(kind, name) || name == "max_norm") {
        return str("\"", name, "\" is not a hyperparameter of ", optimizer_info(kind).name, ": expected one of ",
                   optimizer_hyper_names(kind), " (clip_norm is a property)");
    }
    const HyperparameterInfo& info = *hyperparameter_by_name(name);
    const auto type = value.get_type();
    double v = NAN;
    if (type == GDEXTENSION_VARIANT_TYPE_BOOL && info.flag) {
        v = value.as_bool() ? 1.0 : 0.0;
    } else if (value.is_number()) {
        v = value.as_double();
    } else {
        return str(name, " is ", value.describe(), ": expected a number", info.flag ? " or a bool" : "");
    }
    if (!fits_f32(v)) return str(name, " is ", v, ": expected a finite number that fits in float32");
    std::string e = check_hyperparameter(info, v);
    if (!e.empty()) return e;
    hyper.*info.field = to_f32(v);
    return "";
}

int64_t LKOptimizer::set_hyper(const gd::String& name, const gd::Variant& value) {
    const std::string e = assign(name.utf8(), value);
    if (e.empty()) return gd::OK;
    push_error("LKOptimizer.set_hyper", e);
    return gd::ERR_INVALID_PARAMETER;
}

double LKOptimizer::get_hyper(const gd::String& name) const {
    const std::string n = name.utf8();
    if (!optimizer_has_hyper(kind, n)) {
        push_error("LKOptimizer.get_hyper", str("\"", n, "\" is not a hyperparameter of ", optimizer_info(kind).name,
                                                ": expected one of ", optimizer_hyper_names(kind)));
        return NAN;
    }
    return hyper.*hyperparameter_by_name(n)->field;
}

gd::Dictionary LKOptimizer::get_hyperparameters() const {
    gd::Dictionary out;
    const OptimizerSpec& spec = optimizer_spec(kind);
    for (uint32_t i = 0; i < spec.hyper_count; ++i) {
        const HyperparameterInfo& info = *hyperparameter_by_name(spec.hyper[i]);
        const float v = hyper.*info.field;
        out[gd::Variant(spec.hyper[i])] = info.flag ? gd::Variant(v != 0.0f) : gd::Variant(double(v));
    }
    return out;
}

double LKSchedule::learning_rate_at(int64_t epoch) const {
    // Clamped, not truncated: epoch 4294967296 is past any period, not epoch 0. Without its own base learning
    // rate (lr_max 0), the factor the schedule applies to the trainer's.
    const int64_t e = std::clamp<int64_t>(epoch, 0, INT32_MAX);
    return lk::learning_rate_at(schedule, lr_max > 0.0 ? double(to_f32(lr_max)) : 1.0, e, schedule.period);
}

gd::PackedFloat32Array LKHistory::get_loss() const {
    return to_packed(result.epoch_loss.data(), result.epoch_loss.size());
}

gd::PackedFloat32Array LKHistory::get_val_loss() const {
    std::vector<float> v;
    bool validated = false;  // a NaN val_loss is a value (a diverged epoch); an absent one means no validation
    for (size_t i = 0; !result.logs.empty() && i < result.logs[0].values.size(); ++i) {
        validated = validated || result.logs[0].values[i].first == "val_loss";
    }
    for (size_t i = 0; validated && i < result.logs.size(); ++i) v.push_back(float(result.logs[i].get("val_loss")));
    return to_packed(v.data(), v.size());
}

gd::PackedFloat32Array LKHistory::get_learning_rates() const {
    return to_packed(result.epoch_lr.data(), result.epoch_lr.size());
}

gd::Dictionary LKHistory::get_metrics() const {
    gd::Dictionary out;
    if (result.logs.empty()) return out;
    for (const auto& entry : result.logs[0].values) {
        if (entry.first == "loss" || entry.first == "val_loss") continue;
        std::vector<float> v;
        for (const EpochLog& log : result.logs) v.push_back(float(log.get(entry.first)));
        out[gd::Variant(entry.first)] = gd::Variant(to_packed(v.data(), v.size()));
    }
    return out;
}

void LKTrainer::set_loss(const gd::String& value) {
    Loss l;
    if (!loss_from_name(value.utf8(), &l)) {
        push_error("LKTrainer.loss", str("unknown loss \"", value.utf8(), "\": expected ", loss_names()));
        return;
    }
    loss = l;
}

void LKTrainer::set_loss_settings(const gd::Dictionary& value) {
    LossSetup setup;
    const std::string e = loss_setup(loss, value, &setup);
    if (!e.empty()) {
        push_error("LKTrainer.loss_settings", e);
        return;
    }
    loss_settings = value;  // shared, as Godot passes dictionaries: checked again when used (config)
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


double LKTrainer::get_learning_rate() const {
    if (learning_rate_set || !optimizer) return learning_rate;
    return optimizer->hyper.lr;
}

int64_t LKTrainer::set_param_group(const gd::String& match, const gd::Dictionary& settings) {
    const char* where = "LKTrainer.set_param_group";
    ParamGroup g;
    g.match = match.utf8();
    const gd::Array keys = settings.keys();
    for (int64_t i = 0; i < keys.size(); ++i) {
        const std::string k = keys[i].get_type() == GDEXTENSION_VARIANT_TYPE_STRING ? keys[i].as_string().utf8() : "";
        gd::Variant v;
        settings.lookup(keys[i], &v);
        double* field = k == "learning_rate" || k == "lr" ? &g.learning_rate : k == "lr_scale" ? &g.lr_scale
                        : k == "weight_decay" ? &g.weight_decay : nullptr;
        if (!field || !v.is_number()) {
            push_error(where, str("setting \"", keys[i].describe(), "\" = ", v.describe(), " is not valid: expected "
                                  "learning_rate (> 0), lr_scale (> 0) or weight_decay (>= 0), as numbers"));
            return gd::ERR_INVALID_PARAMETER;
        }
        *field = v.as_double();
    }
    TrainConfig probe;
    probe.param_groups = {g};
    const std::string bad = check_config(probe, false);
    if (!bad.empty()) {
        push_error(where, bad);
        return gd::ERR_INVALID_PARAMETER;
    }
    if (network) {  // a group must name something now, not fail at the next fit
        std::vector<UpdateRun> runs;
        const std::string none = plan_update_runs(network->net, probe, &runs);
        if (!none.empty()) {
            push_error(where, none);
            return gd::ERR_INVALID_PARAMETER;
        }
    }
    param_groups.push_back(g);
    return gd::OK;
}

void LKTrainer::reset_optimizer() {
    CallGuard guard(trainer_, nullptr, "LKTrainer.reset_optimizer");
    if (guard.ok()) trainer_.reset_optimizer();
}

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
    const std::string bad_loss = loss_setup(loss, loss_settings, &cfg->loss);
    if (!bad_loss.empty()) {  // settings of another loss, left from before `loss` changed
        push_error(where, bad_loss);
        return false;
    }
    cfg->learning_rate = to_f32(schedule && schedule->lr_max > 0.0 ? schedule->lr_max : get_learning_rate());
    if (schedule) cfg->schedule = schedule->schedule;
    cfg->param_groups = param_groups;
    cfg->no_decay_on_bias_and_norm = no_decay_on_bias_and_norm;
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


bool LKTrainer::observed() const {
    gd::Object self(owner());
    return self.has_connections(gd::StringName("epoch_completed")) ||
           self.has_connections(gd::StringName("epoch_metrics"));
}

bool LKTrainer::read_fit(const gd::Array& inputs, const gd::Array& targets, const gd::Dictionary& options,
                         TrainConfig* cfg, std::vector<float>* X, std::vector<float>* T, size_t* rows,
                         FitOptions* opts, const char* where) {
    return config(cfg, where) && read_data(inputs, targets, X, T, rows, where) &&
           read_options(options, *cfg, X, T, rows, opts, where);
}

bool LKTrainer::read_options(const gd::Dictionary& options, const TrainConfig& cfg, std::vector<float>* X,
                             std::vector<float>* T, size_t* rows, FitOptions* opts, const char* where) {
    std::string bad = parse_fit_options(options, network->net, loss, uint64_t(seed), X, T, rows, opts);
    // Here too, not only in Session::fit: fit_async() must refuse it at the call, not on its worker.
    if (bad.empty()) bad = check_schedule_watch(cfg.schedule, opts->watch);
    if (!bad.empty()) {
        push_error(where, bad);
        return false;
    }
    return true;
}

ExtRef<LKHistory> LKTrainer::run_fit(const std::vector<float>& X, const std::vector<float>& T, size_t rows,
                                     const char* where, FitOptions* options) {
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
    FitOptions none;
    FitOptions& opts = options ? *options : none;
    opts.watch.write_back = observed() || opts.has_callback();
    std::string callback_error;
    hooks.on_epoch_log = [self, &opts, &callback_error](const EpochLog& log) {
        const gd::Dictionary logs = log_dictionary(log);
        signals::LKTrainer_epoch_metrics(self, int64_t(log.epoch), logs);
        return !opts.has_callback() || call_on_epoch(opts.on_epoch, int64_t(log.epoch), logs, &callback_error);
    };
    std::string err;
    if (!trainer_.fit(network->net, X.data(), T.data(), rows, cfg, *backend, &history->result, &err, hooks,
                      &opts.watch)) {
        push_error(where, err);
        return {};
    }
    if (!callback_error.empty()) push_error(where, callback_error);
    warn_nonfinite(history->result, where);
    note_used(*backend);
    return history;
}

ExtRef<LKHistory> LKTrainer::fit(const gd::Array& inputs, const gd::Array& targets, const gd::Dictionary& options) {
    const char* where = "LKTrainer.fit";
    std::vector<float> X, T;
    size_t rows = 0;
    TrainConfig cfg;
    FitOptions opts;
    if (!read_fit(inputs, targets, options, &cfg, &X, &T, &rows, &opts, where)) return {};
    return run_fit(X, T, rows, where, &opts);
}

double LKTrainer::train(const gd::Array& inputs, const gd::Array& targets) {
    ExtRef<LKHistory> history = fit(inputs, targets, gd::Dictionary());
    return history ? history->result.total_ms : -1.0;
}

double LKTrainer::step(const gd::Array& inputs, const gd::Array& targets) {
    const char* where = "LKTrainer.step";
    TrainConfig cfg;
    std::vector<float> X, T;
    size_t rows = 0;
    if (!config(&cfg, where) || !read_data(inputs, targets, &X, &T, &rows, where)) return NAN;
    return run_step(cfg, X.data(), T.data(), rows, where);
}

double LKTrainer::step_matrix(const float* X, const float* T, size_t rows, const char* where) {
    TrainConfig cfg;
    if (!config(&cfg, where)) return NAN;
    const std::string bad = check_targets(loss, T, rows, network->net.output_width());
    if (!bad.empty()) {
        push_error(where, bad);
        return NAN;
    }
    return run_step(cfg, X, T, rows, where);
}

double LKTrainer::run_step(const TrainConfig& cfg, const float* X, const float* T, size_t rows, const char* where) {
    CallGuard guard(trainer_, &network->net, where);
    if (!guard.ok()) return NAN;
    Backend* backend = backend_for(rows, where);
    if (!backend) return NAN;
    float value = NAN;
    std::string err;
    if (!trainer_.step(network->net, X, T, rows, cfg, *backend, &value, &err)) {
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
    if (!trainer_.gradients(network->net, X.data(), T.data(), rows, cfg.loss, *backend, &value, &grads, &err,
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

namespace lk::api {

gd::Dictionary LKTrainer::get_state() {
    const char* where = "LKTrainer.get_state";
    gd::Dictionary out;
    if (!network) {
        push_error(where, "the trainer has no network");
        return out;
    }
    CallGuard guard(trainer_, nullptr, where);
    if (!guard.ok()) return out;
    const Model& net = network->net;
    const bool has = trainer_.has_optimizer_state(net);
    const Optimizer kind = has ? trainer_.optimizer_kind() : (optimizer ? optimizer->kind : Optimizer::ADAM);
    out[gd::Variant("optimizer")] = gd::Variant(optimizer_info(kind).name);
    out[gd::Variant("steps")] = gd::Variant(int64_t(has ? trainer_.optimizer_steps() : 0));
    if (optimizer) out[gd::Variant("hyperparameters")] = gd::Variant(optimizer->get_hyperparameters());
    gd::Dictionary carried;
    const OptimizerSpec& spec = optimizer_spec(kind);
    for (uint32_t i = 0; has && i < spec.carried_count; ++i) {
        carried[gd::Variant(spec.carried[i])] = gd::Variant(trainer_.optimizer_carried()[i]);
    }
    out[gd::Variant("carried")] = gd::Variant(carried);
    // Per op, per trainable parameter: one PackedFloat32Array per state, in the parameter's own layout.
    gd::Dictionary tensors;
    const std::vector<float>& st = trainer_.optimizer_state();
    const size_t P = net.param_count();
    const uint32_t count = has ? trainer_.optimizer_state_per_param() : 0;
    for (size_t i = 0; count > 0 && i < net.op_count(); ++i) {
        const OpNode& n = net.node(i);
        gd::Dictionary op;
        for (size_t k = 0; k < n.params.size(); ++k) {
            if (!n.params[k].trainable) continue;
            gd::Array states;
            for (uint32_t j = 0; j < count; ++j) {
                states.push_back(gd::Variant(to_packed(st.data() + j * P + n.offsets[k], n.params[k].shape.size())));
            }
            op[gd::Variant(n.params[k].name)] = gd::Variant(states);
        }
        if (op.size() > 0) tensors[gd::Variant(n.name)] = gd::Variant(op);
    }
    out[gd::Variant("state")] = gd::Variant(tensors);
    return out;
}

int64_t LKTrainer::set_state(const gd::Dictionary& state) {
    const char* where = "LKTrainer.set_state";
    if (!network) {
        push_error(where, "the trainer has no network");
        return gd::ERR_UNCONFIGURED;
    }
    const Optimizer kind = optimizer ? optimizer->kind : Optimizer::ADAM;
    const OptimizerHyper hyper = optimizer ? optimizer->hyper : optimizer_info(kind).defaults;
    gd::Variant v;
    auto bad = [&](const std::string& what) {
        push_error(where, what);
        return int64_t(gd::ERR_INVALID_DATA);
    };
    if (!state.lookup(gd::Variant("optimizer"), &v) || v.as_string().utf8() != optimizer_info(kind).name) {
        return bad(str("state[\"optimizer\"] is ", v.describe(), ": expected \"", optimizer_info(kind).name,
                       "\", the trainer's optimizer (set it first)"));
    }
    if (!state.lookup(gd::Variant("steps"), &v) || !v.is_number() || !(v.as_double() >= 0.0) ||
        v.as_double() > 9.0e15 || v.as_double() != std::floor(v.as_double())) {
        return bad(str("state[\"steps\"] is ", v.describe(), ": expected the optimizer's step count (int >= 0)"));
    }
    const uint64_t steps = uint64_t(v.as_double());
    double carried[OPTIMIZER_MAX_CARRIED] = {};
    optimizer_carried_reset(kind, hyper, carried);
    gd::Dictionary cd;
    if (state.lookup(gd::Variant("carried"), &v)) cd = v.as_dictionary();
    const OptimizerSpec& spec = optimizer_spec(kind);
    for (uint32_t i = 0; i < spec.carried_count; ++i) {
        if (steps == 0) break;
        if (!cd.lookup(gd::Variant(spec.carried[i]), &v) || !v.is_number()) {
            return bad(str("state[\"carried\"][\"", spec.carried[i], "\"] is ", v.describe(), ": expected a number"));
        }
        carried[i] = v.as_double();
    }
    const Model& net = network->net;
    const size_t P = net.param_count();
    const uint32_t count = optimizer_state_count(kind, hyper);
    std::vector<float> flat(P * count, 0.0f);
    gd::Dictionary tensors;
    if (state.lookup(gd::Variant("state"), &v)) tensors = v.as_dictionary();
    for (size_t i = 0; steps > 0 && i < net.op_count(); ++i) {
        const OpNode& n = net.node(i);
        gd::Dictionary op;
        const bool has_op = tensors.lookup(gd::Variant(n.name), &v);
        if (has_op) op = v.as_dictionary();
        for (size_t k = 0; k < n.params.size(); ++k) {
            if (!n.params[k].trainable) continue;
            const std::string where_p = str("state[\"state\"][\"", n.name, "\"][\"", n.params[k].name, "\"]");
            if (!has_op || !op.lookup(gd::Variant(n.params[k].name), &v) ||
                v.get_type() != GDEXTENSION_VARIANT_TYPE_ARRAY || v.as_array().size() != int64_t(count)) {
                return bad(str(where_p, " is ", v.describe(), ": expected an Array of ", count, " PackedFloat32Array (",
                               optimizer_info(kind).name, " with these hyperparameters keeps ", count,
                               " states per parameter)"));
            }
            const gd::Array states = v.as_array();
            for (uint32_t j = 0; j < count; ++j) {
                gd::Variant packed;
                const size_t size = n.params[k].shape.size();
                if (!states[j].convert(GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY, &packed) ||
                    size_t(packed.as_packed_float32_array().size()) != size) {
                    return bad(str(where_p, "[", j, "] is ", states[j].describe(), ": expected ", size, " floats"));
                }
                const gd::PackedFloat32Array a = packed.as_packed_float32_array();
                std::copy_n(a.data(), size, flat.begin() + j * P + n.offsets[k]);
            }
        }
    }
    CallGuard guard(trainer_, nullptr, where);
    if (!guard.ok()) return gd::ERR_BUSY;
    std::string err;
    if (steps == 0) {
        trainer_.reset_optimizer();
        return gd::OK;
    }
    if (!trainer_.set_optimizer_state(net, kind, hyper, flat, steps, carried, &err)) return bad(err);
    return gd::OK;
}

}  // namespace lk::api
