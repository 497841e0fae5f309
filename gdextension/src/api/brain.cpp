#include "api/brain.hpp"

#include <chrono>
#include <cmath>

#include "api/catalogue_names.hpp"
#include "api/convert.hpp"
#include "api/factories.hpp"
#include "core/validate.hpp"
#include "glue.hpp"
#include "godot/log.hpp"

namespace lk::api {

namespace {
constexpr int64_t ERR_INVALID_PARAMETER = 31;  // Godot's Error value
// Node notifications (scene/main/node.h, the values of extension_api.json).
constexpr int32_t NOTIFICATION_READY = 13, NOTIFICATION_PHYSICS_PROCESS = 16, NOTIFICATION_PROCESS = 17;
constexpr const char* kCallbackNames[] = {"idle", "physics", "manual"};  // LKBrain::Callback's order

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
        apply_processing();
    } else if ((what == NOTIFICATION_PROCESS && callback_ == Callback::IDLE) ||
               (what == NOTIFICATION_PHYSICS_PROCESS && callback_ == Callback::PHYSICS)) {
        // Nothing to learn from, no network yet (a script may set it later), or a training call of someone else
        // holds the network (a job started on `trainer`): skip quietly, not an error a frame.
        if (online_learning_ && network_ && !in_editor() && !get_training() && replay()->get_size() > 0) {
            online_steps(steps_per_frame_, frame_budget_ms_, false, "LKBrain (online learning)");
        }
    }
}

void LKBrain::apply_processing() {
    // Notifications only while learning online, and only the kind it learns in: an idle brain costs no per-frame
    // call. Before the node enters the tree Godot keeps the flags and applies them on entry.
    // Only what the brain itself switched on is switched off again, and never the kind a script extending LKBrain
    // defines (_process, _physics_process): Godot turned that on for the script.
    if (in_editor()) return;
    gd::Node node(owner());
    const bool idle = online_learning_ && callback_ == Callback::IDLE;
    const bool physics = online_learning_ && callback_ == Callback::PHYSICS;
    if (idle != idle_on_) {
        if (idle || !node.has_method(gd::StringName("_process"))) node.set_process(idle);
        idle_on_ = idle;
    }
    if (physics != physics_on_) {
        if (physics || !node.has_method(gd::StringName("_physics_process"))) node.set_physics_process(physics);
        physics_on_ = physics;
    }
}

gd::String LKBrain::get_process_callback() const { return gd::String(kCallbackNames[int(callback_)]); }

void LKBrain::set_process_callback(const gd::String& value) {
    const std::string v = value.utf8();
    for (int i = 0; i < 3; ++i) {
        if (v == kCallbackNames[i]) {
            callback_ = Callback(i);
            apply_processing();
            return;
        }
    }
    push_error("LKBrain.process_callback", str("process_callback is \"", v, "\": expected \"idle\" (process frames), "
                                               "\"physics\" (physics frames) or \"manual\" (train_online() only)"));
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
    apply_processing();
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
    if (own_job_running()) {
        push_error(where, "the brain is running a fit_async() job: await brain.training_finished (or the job's "
                          "finished) or cancel() it first");
        return true;
    }
    if (network_ && network_->net.is_training()) {  // one error here, not the trainer's on top of it
        push_error(where, "the brain's network is being trained by another call (a fit_async() job started on "
                          "brain.trainer or on another trainer of this network): await that job's finished or "
                          "cancel() it first (brain.training is true until then)");
        return true;
    }
    return false;
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
    if (type == GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY) {  // the common case, without an Array round trip
        const gd::PackedFloat32Array packed = row.as_packed_float32_array();
        width = uint32_t(packed.size());
        err = check_matrix("row", packed.data(), size_t(packed.size()), 1, size_t(packed.size()));
        if (packed.size() == 0) err = "row is empty: expected one input row of numbers";
        if (err.empty()) X.assign(packed.data(), packed.data() + packed.size());
    } else {
        gd::Array one;
        one.push_back(row);
        rows_to_matrix(one, "row", &width, &X, &err);
    }
    if (!err.empty()) {
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

gd::PackedFloat32Array LKBrain::predict_flat(const gd::PackedFloat32Array& data, int64_t rows) {
    if (!network_) {
        push_error("LKBrain.predict_flat", "the brain has no network: set its network property to an LKNetwork");
        return gd::PackedFloat32Array();
    }
    return network_->predict_flat(data, rows);
}

double LKBrain::step_flat(const gd::PackedFloat32Array& inputs, const gd::PackedFloat32Array& targets, int64_t rows) {
    const char* where = "LKBrain.step_flat";
    if (refuse_while_training(where)) return NAN;
    ExtRef<LKTrainer> t = ready_trainer(where);
    if (!t) return NAN;
    if (rows < 1 || rows > int64_t(ReplayBuffer::kMaxCapacity)) {
        push_error(where, str("rows is ", rows, ": expected 1 to ", ReplayBuffer::kMaxCapacity));
        return NAN;
    }
    const Model& net = network_->net;
    std::string bad = check_matrix("inputs", inputs.data(), size_t(inputs.size()), size_t(rows), net.input_width());
    if (bad.empty()) {
        bad = check_matrix("targets", targets.data(), size_t(targets.size()), size_t(rows), net.output_width());
    }
    if (!bad.empty()) {
        push_error(where, bad);
        return NAN;
    }
    const double loss = t->step_matrix(inputs.data(), targets.data(), size_t(rows), where);
    if (std::isfinite(loss)) last_loss_ = loss;
    return loss;
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

namespace {
// Values in a row given as an Array or a PackedFloat32Array (a number: 1); -1 for other types (add() names them).
int64_t row_size(const gd::Variant& v) {
    switch (v.get_type()) {
        case GDEXTENSION_VARIANT_TYPE_ARRAY: return v.as_array().size();
        case GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY: return v.as_packed_float32_array().size();
        default: return v.is_number() ? 1 : -1;
    }
}
}  // namespace

int64_t LKBrain::remember(const gd::Variant& input, const gd::Variant& target) {
    if (network_) {
        // Caught here rather than at the first training step, frames later (and then every frame).
        const int64_t n = input.is_number() ? -1 : row_size(input), m = row_size(target);
        const char* bad = n >= 0 && n != int64_t(network_->net.input_width())     ? "input"
                          : m >= 0 && m != int64_t(network_->net.output_width()) ? "target"
                                                                                   : nullptr;
        if (bad) {
            const bool in = bad[0] == 'i';
            push_error("LKBrain.remember", str(bad, " has ", in ? n : m, " values: the network ",
                                               in ? "expects " : "gives ",
                                               in ? network_->net.input_width() : network_->net.output_width()));
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
    const ReplayBuffer& buffer = replay()->buffer;
    const Model& net = network_->net;
    if (buffer.input_width() != net.input_width() || buffer.target_width() != net.output_width()) {
        push_error(where, str("the replay buffer holds pairs of ", buffer.input_width(), " input and ",
                              buffer.target_width(), " target values: the network takes ", net.input_width(),
                              " and gives ", net.output_width(), " (clear() the buffer or fix remember()'s rows)"));
        return NAN;
    }
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    double sum = 0.0;
    int64_t done = 0;
    while (done < max_steps) {
        // Sampled straight into flat matrices handed to the trainer: the same rows and numbers as step() on them.
        if (!replay()->sample_flat(batch_size_, step_seed(seed_, online_steps_), &batch_x_, &batch_t_, where)) break;
        const double loss = t->step_matrix(batch_x_.data(), batch_t_.data(), size_t(batch_size_), where);
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
