// A session runs a model: it owns its memory on each backend it uses (its own arenas: no two sessions share
// memory, whatever thread they run on) and the optimizer state (Adam moments, step count), which persists
// across calls like a torch optimizer's and resets when the model's parameter layout or the optimizer kind
// changes (or on reset_optimizer()). It is the torch optimizer + training loop of one model.
//
// Host copies (Model::params()/buffers(), optimizer_state()) are the source of truth between calls: each call
// uploads them if the device copy may be stale, and downloads them at the end, so a session may move between
// backends (and a GPU backend between threads) at any call.
//
// Threads: one call at a time per session. A second call while one runs (from another thread, or re-entrant
// from a hook such as on_epoch) fails with a clear error instead of sharing the arena; see try_enter().
#pragma once
#include <cstddef>
#include <cstdint>
#include <atomic>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/arena_layout.hpp"
#include "core/backend.hpp"
#include "core/fit_monitor.hpp"
#include "core/model.hpp"
#include "core/plan.hpp"
#include "core/schedule.hpp"

namespace lk {

// Settings for some of the parameters (torch's param groups): those whose op name, op type, parameter name or
// "op.parameter" equals `match` ("dense_0", "batch_norm", "bias", "dense_1.weight"). Groups apply in order, a
// later one overriding an earlier one where both match.
struct ParamGroup {
    std::string match;
    double learning_rate = NAN;  // this group's base learning rate; NAN: the trainer's times lr_scale
    double lr_scale = 1.0;
    double weight_decay = NAN;   // NAN: the optimizer's
};

struct TrainConfig {
    LossSetup loss = Loss::MSE;  // the loss, its parameters and reduction
    Optimizer optimizer = Optimizer::ADAM;
    // The optimizer's hyperparameters (kernels/optimizer_host.hpp names them). lr and max_norm are overwritten
    // for every step from learning_rate + schedule and clip_norm; weight_decay per parameter group.
    OptimizerHyper hyper = optimizer_info(Optimizer::ADAM).defaults;
    float learning_rate = 0.001f;
    Schedule schedule;
    std::vector<ParamGroup> param_groups;
    // Weight decay 0 on every "bias" and on the parameters of normalisation ops (before param_groups apply).
    bool no_decay_on_bias_and_norm = false;
    int epochs = 1;
    // fit() runs epochs first_epoch..epochs-1, as the rest of a fit that was stopped there (shuffling and the
    // schedule continue from it; the optimizer state persists anyway): LKTrainer.train_for() resumes this way.
    int first_epoch = 0;
    int batch_size = 32;
    float clip_norm = 0.0f;  // clip the global gradient L2 norm to this; 0 = off
    uint64_t seed = 0;       // shuffling; each fit() replays the same permutation sequence for a seed
    bool shuffle = true;
    // A NaN or Inf loss stops the fit at the end of the submit chunk it happened in (FitResult says where).
    bool stop_on_nonfinite = true;
    // Whole epochs are recorded into one GPU submit until at least this many steps are in it: one submit
    // costs ~50-500 us of round trip, so tiny datasets must batch many steps per submit to use the GPU well.
    int min_steps_per_submit = 64;

    // The optimizer's own defaults (hyper and learning rate), e.g. sgd lr 0.01, adam lr 0.001.
    static TrainConfig for_optimizer(Optimizer optimizer);
};

struct FitResult {
    std::vector<float> epoch_loss;  // mean loss of each completed epoch, weighted by batch rows
    // The learning rate of each completed epoch (its first step's, for per-step schedules): the trainer's base
    // rate under the schedule, as torch's optimizer.param_groups[0]["lr"] during that epoch.
    std::vector<float> epoch_lr;
    uint64_t steps = 0;             // optimizer steps taken
    uint64_t submits = 0;           // backend flushes (GPU submits) during this fit
    uint64_t readbacks = 0;         // blocking downloads during this fit
    double record_ms = 0.0;         // time building and recording (GPU) or executing (CPU) the kernels
    double total_ms = 0.0;          // wall time of the whole fit() call
    bool stopped = false;           // ended early: FitHooks::should_stop, or a non-finite loss
    bool paused = false;            // stopped by should_stop alone with FitHooks::pause_on_stop (to be resumed)
    int nonfinite_epoch = -1;       // the first epoch (and step in it) whose loss was NaN or Inf; -1: none
    int nonfinite_step = -1;
    std::string backend;            // Backend::name()
    std::string device;             // Backend::device_name()
    // With a FitWatch: each completed epoch's values by name (loss, val_loss, metrics), the early stopping's
    // best epoch (-1: none) and whether it stopped the fit, and whether the best weights were put back.
    std::vector<EpochLog> logs;
    int best_epoch = -1;
    bool early_stopped = false;
    bool restored_best = false;
};

struct FitHooks {
    // Called for each epoch, in order, after the readback of the chunk that completed it (from the thread
    // running fit(); the Godot layer turns it into a deferred signal).
    std::function<void(int epoch, float loss)> on_epoch;
    // Polled after every chunk; returning true stops training there (parameters of the completed epochs are
    // kept). Lets an async trainer thread be cancelled.
    std::function<bool()> should_stop;
    // Reduce-on-plateau's monitored value after an epoch when its monitor is "loss"; unset: the epoch's training
    // loss. (Any other monitor is read from the epoch's log.) Called from the fit's thread.
    std::function<double(int epoch, float train_loss)> plateau_metric;
    // A fit resumed over several calls (LKTrainer.train_for): the plateau's and the early stopping's state to
    // continue from and to leave for the next call (unset: fresh for this fit). With pause_on_stop, a stop asked
    // by should_stop is a pause: the best weights are restored only when the whole fit ends.
    ScheduleState* schedule_state = nullptr;
    EarlyStopper* early_stopper = nullptr;
    bool pause_on_stop = false;
    // With a FitWatch: called after on_epoch with the epoch's log, the parameters already written back to the
    // model; returning false stops training after this epoch (a callback's "stop").
    std::function<bool(const EpochLog& log)> on_epoch_log;
};

// One optimizer_step call of a step: a contiguous run of parameters with the same group settings.
struct UpdateRun {
    uint32_t offset = 0, count = 0;  // into the parameter block
    double base_lr = 0.0;            // before the schedule
    float weight_decay = 0.0f;
};
// The runs of a model under a config's parameter groups (one run without groups). "" or what is wrong (a
// group matching nothing).
std::string plan_update_runs(const Model& net, const TrainConfig& cfg, std::vector<UpdateRun>* runs);

// Creates a GPU backend with its own arena (installed by the Godot layer: core/ knows no Godot). nullptr and
// *err when there is no GPU.
using GpuBackendFactory = std::unique_ptr<Backend> (*)(std::string* err);
void set_gpu_backend_factory(GpuBackendFactory factory);

class Session {
public:
    Session();
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // The session's own backend of this kind, created on first use (nullptr and *err when unavailable: no GPU).
    Backend* backend(bool gpu, std::string* err);
    // Frees the session's device memory (a GPU backend must be released on the thread that owns its device).
    void release_backends();

    // Marks the session busy for one call; false when a call is already running on it.
    bool try_enter() { return !busy_.exchange(true); }
    void leave() { busy_.store(false); }

    // X: rows x input_width, T: rows x output_width (targets; one-hot for classification), row-major.
    // watch (optional): validation, metrics, early stopping and per-epoch write-back (core/fit_monitor.hpp).
    // Watching runs one epoch per chunk; without it the loop is the unwatched one, readbacks included.
    bool fit(Model& net, const float* X, const float* T, size_t rows, const TrainConfig& cfg, Backend& backend,
             FitResult* result, std::string* err, const FitHooks& hooks = {}, const FitWatch* watch = nullptr);
    // One optimizer step on exactly these rows (no shuffling; the learning rate ignores the schedule).
    bool step(Model& net, const float* X, const float* T, size_t rows, const TrainConfig& cfg, Backend& backend,
              float* loss, std::string* err);
    // Forward + backward without an update: the mean loss and dL/dparams in Model::params() layout. seed: the
    // trainer's (TrainConfig::seed), so that dropout draws the masks the next step() with it would draw.
    bool gradients(Model& net, const float* X, const float* T, size_t rows, const LossSetup& loss,
                   Backend& backend,
                   float* loss_value, std::vector<float>* grads, std::string* err, uint64_t seed = 0);
    // Forward only (eval mode), in chunks so device memory stays bounded; Y gets rows x output_width values.
    // With `tensors`: also every tensor's values, rows x its size each, indexed by tensor id (for views that
    // show a network's activations).
    bool predict(const Model& net, const float* X, size_t rows, Backend& backend, std::vector<float>* Y,
                 std::string* err, std::vector<std::vector<float>>* tensors = nullptr);

    void reset_optimizer();
    uint64_t optimizer_steps() const { return t_; }
    // The optimizer state in the kernels' layout (state j of parameter i at j*P + i, the states that exist for
    // its hyperparameters), for saving a training session with the model; set it back with the network shape
    // it belongs to. carried: the optimizer's carried host scalars (OptimizerSpec::carried).
    const std::vector<float>& optimizer_state() const { return state_; }
    bool has_optimizer_state(const Model& net) const { return has_state_ && state_shape_ == net.shape_hash(); }
    Optimizer optimizer_kind() const { return state_kind_; }
    uint32_t optimizer_state_per_param() const { return state_count_; }
    const double* optimizer_carried() const { return carried_; }
    bool set_optimizer_state(const Model& net, Optimizer optimizer, const OptimizerHyper& hyper,
                             const std::vector<float>& state, uint64_t steps, const double* carried,
                             std::string* err);

    // Test-only knobs: false forces the generic loss + activation-derivative path (StepPlan::allow_fused), or
    // the unfused twin of every op fusion (StepPlan::allow_op_fusion).
    bool allow_fused_loss = true;
    bool allow_op_fusion = true;

private:
    void sync_optimizer(const Model& net, Optimizer optimizer, const OptimizerHyper& hyper);
    uint32_t state_per_param_for(const Model& net) const;
    bool begin(const Model& net, const LayoutSpec& spec, Backend& backend, ArenaLayout* layout, std::string* err);
    void end(const Model& net, Backend& backend, bool state_on_device);
    uint64_t step_seed(const TrainConfig& cfg) const;
    void download_params(Model& net, const ArenaLayout& L, const std::vector<float>& tmp);
    bool check_backend(Backend& backend, std::string* err);
    // Advances the step count (and carried host scalars) and fills p's update runs for this step; lr_at(run)
    // gives each run's learning rate.
    template <class LrAt>
    void next_update(const TrainConfig& cfg, const std::vector<UpdateRun>& runs, LrAt lr_at, StepPlan* p);
    void run_step(const Model& net, const ArenaLayout& layout, const StepPlan& plan, Backend& backend);
    bool finish_update(Model& net, const ArenaLayout& layout, Backend& backend, uint32_t losses, float* loss_out,
                       std::string* err);
    // The watched part of an epoch (core/session_watch.cpp): queues the eval-mode passes after the epoch's steps
    // and downloads the outputs the metrics need.
    struct EvalSetup {
        uint32_t rows = 0;         // rows per eval batch (the layout's batch rows are at least this)
        uint32_t val_batches = 0;  // loss slots the validation takes after the epoch's training slots
        uint32_t tail = 0;         // identity indices after the training permutation: rows 0..n+val_rows-1
    };
    static EvalSetup eval_setup(const Model& net, const FitWatch& watch, uint32_t n, uint32_t batch);
    bool eval_epoch(const Model& net, const ArenaLayout& L, const FitWatch& watch, const EvalSetup& ev,
                    const LossSetup& loss, Backend& backend, uint32_t n, uint32_t tail_start, uint32_t loss_base,
                    std::vector<float>* val_y, std::vector<float>* train_y, std::string* err);

    // Optimizer state: valid for the network layout with hash state_shape_ and optimizer state_kind_.
    std::vector<float> state_;
    uint64_t state_shape_ = 0;
    Optimizer state_kind_ = Optimizer::SGD;
    bool has_state_ = false;
    uint32_t state_count_ = 0;  // states per parameter (optimizer_state_count of the hyperparameters)
    uint64_t t_ = 0;
    double carried_[OPTIMIZER_MAX_CARRIED] = {};

    // What the device holds, as of the end of our last call; any mismatch means "upload again".
    struct DeviceCache {
        const Backend* backend = nullptr;
        uint64_t epoch = 0, net_id = 0, params_version = 0, shape = 0;
        uint32_t state_count = 0;  // floats of state_ on the device right after the params
        bool valid = false;
    } dev_;
    // The model's params_version() that the device copy of its parameters holds during a call: read under the
    // model's lock together with the values uploaded or downloaded, so that end() records what the device
    // holds even when another thread's session writes new parameters while this call runs.
    uint64_t synced_version_ = 0;

    std::vector<KernelCall> calls_;  // reused between steps to avoid reallocating
    std::unique_ptr<Backend> cpu_, gpu_;
    std::atomic<bool> busy_{false};
};

}  // namespace lk
