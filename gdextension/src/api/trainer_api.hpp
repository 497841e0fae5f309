// LKOptimizer, LKSchedule, LKHistory and LKTrainer: the GDScript face of core/trainer.hpp.
#pragma once
#include "api/fit_options.hpp"
#include "api/float_checks.hpp"
#include "api/network_api.hpp"
#include "core/schedule.hpp"
#include "core/session.hpp"

#include <memory>

namespace lk::api {

class LKTrainingJob;

class LKOptimizer : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LKOptimizer";
    Optimizer kind = Optimizer::ADAM;
    OptimizerHyper hyper = optimizer_info(Optimizer::ADAM).defaults;
    double clip_norm = 0.0;

    gd::String get_kind() const { return gd::String(optimizer_info(kind).name); }
    void set_kind(const gd::String& value);
    double get_beta1() const { return hyper.beta1; }
    void set_beta1(double v) { set_f32(&hyper.beta1, v, "LKOptimizer.beta1"); }
    double get_beta2() const { return hyper.beta2; }
    void set_beta2(double v) { set_f32(&hyper.beta2, v, "LKOptimizer.beta2"); }
    double get_epsilon() const { return hyper.epsilon; }
    void set_epsilon(double v) { set_f32(&hyper.epsilon, v, "LKOptimizer.epsilon"); }
    double get_momentum() const { return hyper.momentum; }
    void set_momentum(double v) { set_f32(&hyper.momentum, v, "LKOptimizer.momentum"); }
    double get_weight_decay() const { return hyper.weight_decay; }
    void set_weight_decay(double v) { set_f32(&hyper.weight_decay, v, "LKOptimizer.weight_decay"); }
    double get_clip_norm() const { return clip_norm; }
    void set_clip_norm(double v) {
        if (check_f32(v, "LKOptimizer.clip_norm")) clip_norm = v;  // used as a float32
    }
    // Any of the optimizer's hyperparameters by its spec name (codegen/spec/optimizers.yaml); flags take bools.
    int64_t set_hyper(const gd::String& name, const gd::Variant& value);
    double get_hyper(const gd::String& name) const;
    gd::Dictionary get_hyperparameters() const;
    // Sets one hyperparameter after checking the name and value against the spec: "" or what is wrong.
    std::string assign(const std::string& name, const gd::Variant& value);
};

class LKSchedule : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LKSchedule";
    Schedule schedule;
    double lr_max = 1e-3;  // the base learning rate; 0: the trainer's (or its optimizer's lr)

    gd::String get_kind() const { return gd::String(schedule_kind_name(schedule.kind)); }
    double get_lr_max() const { return lr_max; }
    double get_lr_min() const { return schedule.lr_min; }
    int64_t get_period() const { return schedule.period; }
    bool get_per_step() const { return schedule.per_step; }
    void set_per_step(bool v) { schedule.per_step = v; }
    gd::String get_monitor() const {
        return gd::String(schedule.kind == Schedule::Kind::PLATEAU ? schedule.monitor : std::string());
    }
    double learning_rate_at(int64_t epoch) const;
};

class LKHistory : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LKHistory";
    FitResult result;

    gd::PackedFloat32Array get_loss() const;
    int64_t get_epochs() const { return int64_t(result.epoch_loss.size()); }
    int64_t get_steps() const { return int64_t(result.steps); }
    int64_t get_submits() const { return int64_t(result.submits); }
    int64_t get_readbacks() const { return int64_t(result.readbacks); }
    double get_elapsed_ms() const { return result.total_ms; }
    double get_record_ms() const { return result.record_ms; }
    gd::String get_backend() const { return gd::String(result.backend); }
    gd::String get_device_name() const { return gd::String(result.device); }
    int64_t get_nonfinite_epoch() const { return result.nonfinite_epoch; }
    bool get_stopped() const { return result.stopped; }
    gd::PackedFloat32Array get_val_loss() const;
    gd::PackedFloat32Array get_learning_rates() const;
    gd::Dictionary get_metrics() const;
    int64_t get_best_epoch() const { return result.best_epoch; }
    bool get_early_stopped() const { return result.early_stopped; }
};

class LKTrainer : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LKTrainer";
    ExtRef<LKNetwork> network;
    ExtRef<LKOptimizer> optimizer;
    ExtRef<LKSchedule> schedule;
    Loss loss = Loss::MSE;
    double learning_rate = 1e-3;
    int64_t epochs = 100, batch_size = 32, seed = 0;
    bool shuffle = true;
    bool stop_on_nonfinite = true;
    std::string device;  // "" = the network's device

    gd::String get_loss() const { return gd::String(loss_info(loss).name); }
    void set_loss(const gd::String& value);
    // The loss's parameters by name plus "reduction" (api/loss_settings.hpp); checked when set and when used.
    gd::Dictionary loss_settings;
    gd::Dictionary get_loss_settings() const { return loss_settings; }
    void set_loss_settings(const gd::Dictionary& value);
    ExtRef<LKOptimizer> get_optimizer() const { return optimizer; }
    void set_optimizer(const ExtRef<LKOptimizer>& value);
    // Unset (until set here or in LearnKit.trainer's options): the optimizer's own lr (its spec default).
    double get_learning_rate() const;
    void set_learning_rate(double v) {
        learning_rate = v;
        learning_rate_set = true;
    }
    bool learning_rate_set = false;
    int64_t get_epochs() const { return epochs; }
    void set_epochs(int64_t v) { epochs = v; }
    int64_t get_batch_size() const { return batch_size; }
    void set_batch_size(int64_t v) { batch_size = v; }
    ExtRef<LKSchedule> get_schedule() const { return schedule; }
    void set_schedule(const ExtRef<LKSchedule>& v) { schedule = v; }
    gd::String get_device() const { return gd::String(device); }
    void set_device(const gd::String& value);
    int64_t get_seed() const { return seed; }
    void set_seed(int64_t v) { seed = v; }
    bool get_shuffle() const { return shuffle; }
    void set_shuffle(bool v) { shuffle = v; }
    bool get_stop_on_nonfinite() const { return stop_on_nonfinite; }
    void set_stop_on_nonfinite(bool v) { stop_on_nonfinite = v; }
    bool get_fusion() const { return trainer_.allow_op_fusion; }
    void set_fusion(bool v) {
        trainer_.allow_op_fusion = v;
        trainer_.allow_fused_loss = v;
    }

    bool get_no_decay_on_bias_and_norm() const { return no_decay_on_bias_and_norm; }
    void set_no_decay_on_bias_and_norm(bool v) { no_decay_on_bias_and_norm = v; }
    int64_t set_param_group(const gd::String& match, const gd::Dictionary& settings);
    void clear_param_groups() { param_groups.clear(); }
    gd::Dictionary get_state();
    int64_t set_state(const gd::Dictionary& state);
    void reset_optimizer();
    bool no_decay_on_bias_and_norm = false;
    std::vector<ParamGroup> param_groups;

    double train(const gd::Array& inputs, const gd::Array& targets);
    ExtRef<LKHistory> fit(const gd::Array& inputs, const gd::Array& targets, const gd::Dictionary& options);
    // fit() on a worker thread: returns at once (null on bad input or while another call runs).
    ExtRef<LKTrainingJob> fit_async(const gd::Array& inputs, const gd::Array& targets, const gd::Dictionary& options);
    // Whole epochs within a time budget, resuming at resume_epoch (see api.yaml).
    ExtRef<LKHistory> train_for(const gd::Array& inputs, const gd::Array& targets, double budget_ms,
                                const gd::Dictionary& options);
    int64_t get_resume_epoch() const { return resume_epoch; }
    void set_resume_epoch(int64_t v);
    int64_t resume_epoch = 0;
    // fit() / fit_async() on flat row-major arrays (api/trainer_flat.cpp).
    ExtRef<LKHistory> fit_flat(const gd::PackedFloat32Array& inputs, const gd::PackedFloat32Array& targets, int64_t rows,
                               const gd::Dictionary& options);
    ExtRef<LKTrainingJob> fit_async_flat(const gd::PackedFloat32Array& inputs, const gd::PackedFloat32Array& targets,
                                         int64_t rows, const gd::Dictionary& options);
    double step(const gd::Array& inputs, const gd::Array& targets);
    // step() on row-major matrices already read (rows x input width, rows x output width, finite: the caller
    // checked), so LKBrain's flat paths and online learning skip the Array round trip; the targets are checked
    // against the loss here, and the numbers are step()'s. C++ only: not part of the GDScript API.
    double step_matrix(const float* X, const float* T, size_t rows, const char* where);
    gd::Dictionary compute_gradients(const gd::Array& inputs, const gd::Array& targets);

private:
    bool config(TrainConfig* cfg, const char* where) const;
    bool read_data(const gd::Array& inputs, const gd::Array& targets, std::vector<float>* X, std::vector<float>* T,
                   size_t* rows, const char* where) const;
    Backend* backend_for(size_t batch_rows, const char* where);
    double run_step(const TrainConfig& cfg, const float* X, const float* T, size_t rows, const char* where);
    ExtRef<LKHistory> run_fit(const std::vector<float>& X, const std::vector<float>& T, size_t rows, const char* where,
                              FitOptions* options = nullptr);
    // Reads fit()'s inputs, targets and options (validation_split takes its rows out of X/T); false after push_error.
    bool read_fit(const gd::Array& inputs, const gd::Array& targets, const gd::Dictionary& options, TrainConfig* cfg,
                  std::vector<float>* X, std::vector<float>* T, size_t* rows, FitOptions* opts, const char* where);
    // The same for fit_flat()'s row-major arrays.
    bool read_flat_fit(const gd::PackedFloat32Array& inputs, const gd::PackedFloat32Array& targets, int64_t rows,
                       const gd::Dictionary& options, TrainConfig* cfg, std::vector<float>* X, std::vector<float>* T,
                       size_t* n, FitOptions* opts, const char* where);
    // After the data: parses the options and checks that the schedule's monitor is among what the fit logs.
    bool read_options(const gd::Dictionary& options, const TrainConfig& cfg, std::vector<float>* X,
                      std::vector<float>* T, size_t* rows, FitOptions* opts, const char* where);
    // fit_async()'s job on data already read (api/training_job.cpp).
    ExtRef<LKTrainingJob> start_job(std::shared_ptr<std::vector<float>> X, std::shared_ptr<std::vector<float>> T,
                                    size_t rows, TrainConfig cfg, std::shared_ptr<FitOptions> opts, const char* where);
    // What a fit resumed over train_for() calls carries from one call to the next (reset at resume_epoch 0).
    ScheduleState resume_schedule_;
    std::unique_ptr<EarlyStopper> resume_stopper_;
    // Whether a handler is connected to epoch_completed or epoch_metrics (the parameters are then written back
    // every epoch, so that it sees the network as it is).
    bool observed() const;
    Session trainer_;
};

}  // namespace lk::api
