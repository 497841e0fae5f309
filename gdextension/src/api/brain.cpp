#include "api/brain.hpp"

#include <chrono>
#include <cmath>

#include "api/catalogue_names.hpp"
#include "api/convert.hpp"
#include "api/factories.hpp"
#include "glue.hpp"
#include "godot/log.hpp"

namespace lk::api {

namespace {
constexpr int64_t ERR_INVALID_PARAMETER = 31;  // Godot's Error value
// Node notifications (scene/main/node.h, the values of extension_api.json).
constexpr int32_t NOTIFICATION_READY = 13, NOTIFICATION_PROCESS = 17;

// The seed of online step n: consecutive steps draw unrelated samples, the same seed and step the same one.
uint64_t step_seed(int64_t seed, int64_t n) { return uint64_t(seed) * 0x9E3779B97F4A7C15ull + uint64_t(n); }
}  // namespace

LKBrain::~LKBrain() {
    // The job may outlive the node (a script holds it): it must not call into this destroyed relay.
    if (job_) job_->detach(this);
}

bool LKBrain::in_editor() const { return gd::Engine::singleton().is_editor_hint(); }

void LKBrain::on_notification(int32_t what) {
    // In the editor the node exists as in a @tool script: it must not train the network resource being edited.
    if (what == NOTIFICATION_READY) {
        if (online_learning_ && !in_editor()) gd::Node(owner()).set_process(true);
    } else if (what == NOTIFICATION_PROCESS) {
        // Nothing to learn from, or no network yet (a script may set it later): skip quietly, not an error a frame.
        if (online_learning_ && network_ && !in_editor() && !get_training() && replay()->get_size() > 0) {
            online_steps(steps_per_frame_, frame_budget_ms_, false, "LKBrain (online learning)");
        }
    }
}

ExtRef<LKReplayBuffer> LKBrain::replay() const {
    if (!replay_) replay_ = ExtRef<LKReplayBuffer>::create();
    return replay_;
}

void LKBrain::set_loss(const gd::String& value) {
    Loss l;
    if (!loss_from_name(value.utf8(), &l)) {
        push_error("LKBrain.loss", str("unknown loss \"", value.utf8(), "\": expected ", loss_names()));
        return;
    }
    loss_ = value.utf8();
}

void LKBrain::set_optimizer(const gd::String& value) {
    Optimizer o;
    if (!optimizer_from_name(value.utf8(), &o)) {
        push_error("LKBrain.optimizer", str("unknown optimizer \"", value.utf8(), "\": expected ", optimizer_names()));
        return;
    }
    optimizer_ = value.utf8();
}

void LKBrain::set_learning_rate(double value) {
    if (!(value > 0.0) || !std::isfinite(value) || !check_f32(value, "LKBrain.learning_rate")) {
        push_error("LKBrain.learning_rate", str("learning_rate is ", value, ": expected a finite number > 0"));
        return;
    }
    learning_rate_ = value;
}

void LKBrain::set_batch_size(int64_t value) {
    if (value < 1 || value > int64_t(ReplayBuffer::kMaxCapacity)) {
        push_error("LKBrain.batch_size", str("batch_size is ", value, ": expected 1 to ", ReplayBuffer::kMaxCapacity));
        return;
    }
    batch_size_ = value;
}

void LKBrain::set_epochs(int64_t value) {
    if (value < 1 || value > (int64_t(1) << 30)) {
        push_error("LKBrain.epochs", str("epochs is ", value, ": expected 1 to ", int64_t(1) << 30));
        return;
    }
    epochs_ = value;
}

void LKBrain::set_device(const gd::String& value) {
    const std::string d = value.utf8();
    if (d != "network" && !valid_device(d)) {
        push_error("LKBrain.device", str("unknown device \"", d, "\": expected \"network\" (the network's own), "
                                         "\"auto\", \"gpu\" or \"cpu\""));
        return;
    }
    device_ = d;
}

void LKBrain::set_online_learning(bool value) {
    online_learning_ = value;
    // Process notifications only while learning online: an idle brain costs no per-frame call. Before the node
    // enters the tree Godot keeps the flag and applies it on entry.
    if (!in_editor()) gd::Node(owner()).set_process(value);
}

void LKBrain::set_steps_per_frame(int64_t value) {
    if (value < 1 || value > 1000000) {
        push_error("LKBrain.steps_per_frame", str("steps_per_frame is ", value, ": expected 1 to 1000000"));
        return;
    }
    steps_per_frame_ = value;
}

void LKBrain::set_frame_budget_ms(double value) {
    if (!(value > 0.0) || !std::isfinite(value)) {
        push_error("LKBrain.frame_budget_ms", str("frame_budget_ms is ", value, ": expected milliseconds > 0"));
        return;
    }
    frame_budget_ms_ = value;
}

ExtRef<LKTrainer> LKBrain::get_trainer() {
    if (!network_) return {};  // no error: reading the property of an unconfigured brain is fine
    return ready_trainer("LKBrain.trainer");
}

ExtRef<LKTrainer> LKBrain::ready_trainer(const char* where) {
    if (!network_) {
        push_error(where, "the brain has no network: set its network property to an LKNetwork (a .tres in the "
                          "inspector, or LearnKit.sequential(...))");
        return {};
    }
    if (!trainer_ || trainer_->network.get() != network_.get()) {
        trainer_ = make_trainer(network_, where);
        if (!trainer_) return {};
        applied_ = Applied();
        applied_.optimizer = "adam";  // make_trainer's
    }
    LKTrainer& t = *trainer_.get();
    if (applied_.loss != loss_) {
        Loss l;
        if (loss_from_name(loss_, &l)) t.loss = l;
        applied_.loss = loss_;
    }
    if (applied_.optimizer != optimizer_) {
        Optimizer o;
        if (optimizer_from_name(optimizer_, &o)) t.optimizer = default_optimizer(o);
        applied_.optimizer = optimizer_;
    }
    if (applied_.device != device_) {
        t.device = device_ == "network" ? "" : device_;  // the trainer's "": its network's device
        applied_.device = device_;
    }
    if (!(applied_.learning_rate == learning_rate_)) t.set_learning_rate(applied_.learning_rate = learning_rate_);
    if (applied_.batch_size != batch_size_) t.batch_size = applied_.batch_size = batch_size_;
    if (applied_.epochs != epochs_) t.epochs = applied_.epochs = epochs_;
    if (applied_.seed != seed_) t.seed = applied_.seed = seed_;
    return trainer_;
}

bool LKBrain::refuse_while_training(const char* where) const {
    if (!get_training()) return false;
    push_error(where, "the brain is running a fit_async() job: await brain.training_finished (or the job's "
                      "finished) or cancel() it first");
    return true;
}

gd::Array LKBrain::predict(const gd::Array& inputs) {
    if (!network_) {
        push_error("LKBrain.predict", "the brain has no network: set its network property to an LKNetwork");
        return gd::Array();
    }
    return network_->predict(inputs);
}

gd::PackedFloat32Array LKBrain::predict_one(const gd::Variant& row) {
    const char* where = "LKBrain.predict_one";
    if (!network_) {
        push_error(where, "the brain has no network: set its network property to an LKNetwork");
        return gd::PackedFloat32Array();
    }
    const auto type = row.get_type();
    if (type != GDEXTENSION_VARIANT_TYPE_ARRAY && type != GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY &&
        type != GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT64_ARRAY && type != GDEXTENSION_VARIANT_TYPE_PACKED_INT32_ARRAY) {
        push_error(where, str("row is ", row.describe(), ": expected one input row (a PackedFloat32Array or an Array "
                              "of numbers)"));
        return gd::PackedFloat32Array();
    }
    std::vector<float> X, Y;
    uint32_t width = 0;
    std::string err;
    gd::Array one;
    one.push_back(row);
    if (!rows_to_matrix(one, "row", &width, &X, &err)) {
        push_error(where, err);
        return gd::PackedFloat32Array();
    }
    if (width != network_->net.input_width()) {
        push_error(where, str("row has ", width, " values: the network expects ", network_->net.input_width()));
        return gd::PackedFloat32Array();
    }
    if (!network_->run_forward(X, 1, &Y, where)) return gd::PackedFloat32Array();
    return to_packed(Y.data(), Y.size());
}

double LKBrain::step(const gd::Array& inputs, const gd::Array& targets) {
    const char* where = "LKBrain.step";
    if (refuse_while_training(where)) return NAN;
    ExtRef<LKTrainer> t = ready_trainer(where);
    if (!t) return NAN;
    const double loss = t->step(inputs, targets);
    if (std::isfinite(loss)) last_loss_ = loss;
    return loss;
}

ExtRef<LKTrainingJob> LKBrain::fit_async(const gd::Array& inputs, const gd::Array& targets,
                                         const gd::Dictionary& options) {
    const char* where = "LKBrain.fit_async";
    if (refuse_while_training(where)) return {};
    ExtRef<LKTrainer> t = ready_trainer(where);
    if (!t) return {};
    // Options apply to this fit only: the trainer's own values come back once the job has copied them.
    const int64_t epochs = t->epochs, batch_size = t->batch_size, seed = t->seed;
    const double learning_rate = t->learning_rate;
    const bool lr_set = t->learning_rate_set, shuffle = t->shuffle;
    gd::Dictionary fit_options;  // every other key is LKTrainer.fit_async's (validation, early stopping, ...)
    gd::Array keys = options.keys();
    for (int64_t i = 0; i < keys.size(); ++i) {
        const gd::Variant& key = keys[i];
        const std::string k = key.get_type() == GDEXTENSION_VARIANT_TYPE_STRING ? key.as_string().utf8() : "";
        gd::Variant v;
        options.lookup(key, &v);
        const bool integral = v.is_number() && v.as_double() == std::floor(v.as_double()) &&
                              std::abs(v.as_double()) < 9.0e15;
        bool ok = true;
        if ((k == "epochs" || k == "batch_size") && integral && v.as_double() >= 1.0 &&
            v.as_double() <= double(int64_t(1) << 30)) {
            (k == "epochs" ? t->epochs : t->batch_size) = int64_t(v.as_double());
        } else if (k == "seed" && integral) {
            t->seed = int64_t(v.as_double());
        } else if (k == "learning_rate" && v.is_number() && v.as_double() > 0.0 && std::isfinite(v.as_double()) &&
                   fits_f32(v.as_double())) {
            t->set_learning_rate(v.as_double());
        } else if (k == "shuffle" && v.get_type() == GDEXTENSION_VARIANT_TYPE_BOOL) {
            t->shuffle = v.as_bool();
        } else if (k == "epochs" || k == "batch_size" || k == "seed" || k == "learning_rate" || k == "shuffle") {
            ok = false;
        } else {
            fit_options[key] = v;
        }
        if (!ok) {
            push_error(where, str("option \"", key.describe(), "\" = ", v.describe(), " is not valid: expected "
                                  "epochs, batch_size (int >= 1), learning_rate (> 0), seed (int), shuffle (bool)"));
            t->epochs = epochs, t->batch_size = batch_size, t->seed = seed, t->shuffle = shuffle;
            t->learning_rate = learning_rate, t->learning_rate_set = lr_set;
            return {};
        }
    }
    ExtRef<LKTrainingJob> job;
    {
        LKTrainingJob::RelayScope relay(this);  // the job re-emits through this node from its first epoch
        job = t->fit_async(inputs, targets, fit_options);
    }
    t->epochs = epochs, t->batch_size = batch_size, t->seed = seed, t->shuffle = shuffle;
    t->learning_rate = learning_rate, t->learning_rate_set = lr_set;
    if (job) {
        if (job_) job_->detach(this);  // a finished earlier job
        job_ = job;
    }
    return job;
}

void LKBrain::relay_epoch(int64_t epoch, double loss, double fraction) {
    signals::LKBrain_epoch_completed_deferred(owner(), epoch, loss);
    signals::LKBrain_progress_deferred(owner(), fraction);
}

void LKBrain::relay_finished(const ExtRef<LKHistory>& history) {
    signals::LKBrain_training_finished_deferred(owner(), history);
}

int64_t LKBrain::remember(const gd::Variant& input, const gd::Variant& target) {
    if (network_ && (input.get_type() == GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY ||
                     input.get_type() == GDEXTENSION_VARIANT_TYPE_ARRAY)) {
        // Caught here rather than at the first training step, frames later.
        const int64_t n = input.get_type() == GDEXTENSION_VARIANT_TYPE_ARRAY ? input.as_array().size()
                                                                              : input.as_packed_float32_array().size();
        if (n != int64_t(network_->net.input_width())) {
            push_error("LKBrain.remember", str("input has ", n, " values: the network expects ",
                                               network_->net.input_width()));
            return ERR_INVALID_PARAMETER;
        }
    }
    return replay()->add(input, target);
}

double LKBrain::train_online(int64_t max_steps) {
    const char* where = "LKBrain.train_online";
    if (max_steps < 1 || max_steps > 1000000) {
        push_error(where, str("max_steps is ", max_steps, ": expected 1 to 1000000"));
        return NAN;
    }
    if (refuse_while_training(where)) return NAN;
    // An explicit call has no frame to protect: the budget is the steps asked for.
    return online_steps(max_steps, INFINITY, true, where);
}

double LKBrain::online_steps(int64_t max_steps, double budget_ms, bool report, const char* where) {
    if (replay()->get_size() == 0) {
        if (report) push_error(where, "the replay buffer is empty: remember(input, target) first");
        return NAN;
    }
    ExtRef<LKTrainer> t = ready_trainer(where);
    if (!t) return NAN;
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    std::vector<float> X, T;
    double sum = 0.0;
    int64_t done = 0;
    const size_t xw = replay()->buffer.input_width(), tw = replay()->buffer.target_width();
    while (done < max_steps) {
        if (!replay()->sample_flat(batch_size_, step_seed(seed_, online_steps_), &X, &T, where)) break;
        const size_t rows = X.size() / xw;
        const double loss = t->step(matrix_to_rows(X, rows, xw), matrix_to_rows(T, rows, tw));
        ++online_steps_;
        if (!std::isfinite(loss)) break;  // bad data or a diverged step: its error or warning is printed
        sum += loss;
        ++done;
        // Stop when one more step, at the mean step time so far, would overrun the budget.
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (ms + ms / double(done) > budget_ms) break;
    }
    if (done == 0) return NAN;
    last_loss_ = sum / double(done);
    signals::LKBrain_online_trained(owner(), done, last_loss_);
    return last_loss_;
}

}  // namespace lk::api
