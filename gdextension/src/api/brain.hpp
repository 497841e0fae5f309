// LKBrain: a Node that gives a scene a neural network without setup code. It holds an LKNetwork resource
// (exported: pick a .tres in the inspector), predicts with it, trains it through an LKTrainer it creates on first
// use (step, fit_async with the job's signals re-emitted by the node), and learns online: remember() fills an
// LKReplayBuffer and, with online_learning on, the node trains a few steps per frame from it in its process
// notification, within a time budget.
#pragma once
#include "api/replay_buffer.hpp"
#include "api/training_job.hpp"

namespace lk::api {

class LKBrain : public ExtensionObject, public LKTrainingJob::Relay {
public:
    static constexpr const char* CLASS_NAME = "LKBrain";
    ~LKBrain() override;
    void on_notification(int32_t what) override;

    ExtRef<LKNetwork> get_network() const { return network_; }
    void set_network(const ExtRef<LKNetwork>& value) { network_ = value; }
    gd::String get_loss() const { return gd::String(loss_); }
    void set_loss(const gd::String& value);
    gd::String get_optimizer() const { return gd::String(optimizer_); }
    void set_optimizer(const gd::String& value);
    double get_learning_rate() const { return learning_rate_; }
    void set_learning_rate(double value);
    int64_t get_batch_size() const { return batch_size_; }
    void set_batch_size(int64_t value);
    int64_t get_epochs() const { return epochs_; }
    void set_epochs(int64_t value);
    gd::String get_device() const { return gd::String(device_); }
    void set_device(const gd::String& value);
    int64_t get_seed() const { return seed_; }
    void set_seed(int64_t value) { seed_ = value; }
    bool get_online_learning() const { return online_learning_; }
    void set_online_learning(bool value);
    int64_t get_steps_per_frame() const { return steps_per_frame_; }
    void set_steps_per_frame(int64_t value);
    double get_frame_budget_ms() const { return frame_budget_ms_; }
    void set_frame_budget_ms(double value);
    int64_t get_replay_capacity() const { return replay()->get_capacity(); }
    void set_replay_capacity(int64_t value) { replay()->set_capacity(value); }
    gd::String get_process_callback() const;
    void set_process_callback(const gd::String& value);

    ExtRef<LKTrainer> get_trainer();
    ExtRef<LKReplayBuffer> get_replay_buffer() const { return replay(); }
    ExtRef<LKTrainingJob> get_job() const { return job_; }
    // Its own fit_async() job, or any training call on its network (a job started on `trainer` or on another
    // trainer of the same network): online learning skips those frames quietly.
    bool get_training() const { return own_job_running() || (network_ && network_->net.is_training()); }
    int64_t get_online_steps() const { return online_steps_; }
    double get_last_loss() const { return last_loss_; }

    gd::Array predict(const gd::Array& inputs);
    gd::PackedFloat32Array predict_one(const gd::Variant& row);
    gd::PackedFloat32Array predict_flat(const gd::PackedFloat32Array& data, int64_t rows);
    double step(const gd::Array& inputs, const gd::Array& targets);
    double step_flat(const gd::PackedFloat32Array& inputs, const gd::PackedFloat32Array& targets, int64_t rows);
    ExtRef<LKTrainingJob> fit_async(const gd::Array& inputs, const gd::Array& targets, const gd::Dictionary& options);
    int64_t remember(const gd::Variant& input, const gd::Variant& target);
    double train_online(int64_t max_steps);

    void relay_epoch(int64_t epoch, double loss, double fraction) override;
    void relay_finished(const ExtRef<LKHistory>& history) override;

private:
    ExtRef<LKReplayBuffer> replay() const;
    // The trainer with the brain's settings applied (those changed on the brain since they were last applied, so
    // what a script set on `trainer` directly stays); null after an error naming `where`.
    ExtRef<LKTrainer> ready_trainer(const char* where);
    bool refuse_while_training(const char* where) const;
    // Up to max_steps steps from the replay buffer within budget_ms (at least one); NAN when none ran.
    double online_steps(int64_t max_steps, double budget_ms, bool report, const char* where);
    bool in_editor() const;
    bool own_job_running() const { return job_ && !job_->get_done(); }
    // Process or physics-process notifications on exactly when online learning runs in them.
    void apply_processing();

    ExtRef<LKNetwork> network_;
    std::string loss_ = "mse", optimizer_ = "adam", device_ = "network";
    double learning_rate_ = 1e-3, frame_budget_ms_ = 2.0;
    int64_t batch_size_ = 32, epochs_ = 100, seed_ = 0, steps_per_frame_ = 1;
    bool online_learning_ = false;
    // Where online learning runs: NOTIFICATION_PROCESS ("idle"), NOTIFICATION_PHYSICS_PROCESS ("physics") or
    // only in train_online() ("manual"), as Camera2D's process_callback.
    enum class Callback { IDLE, PHYSICS, MANUAL } callback_ = Callback::IDLE;
    bool idle_on_ = false, physics_on_ = false;  // what apply_processing() switched on
    std::vector<float> batch_x_, batch_t_;  // online learning's batch, reused every step
    int64_t online_steps_ = 0;
    double last_loss_ = NAN;

    ExtRef<LKTrainer> trainer_;
    mutable ExtRef<LKReplayBuffer> replay_;  // made on first use
    ExtRef<LKTrainingJob> job_;
    // What was last applied to trainer_ (see ready_trainer).
    struct Applied {
        std::string loss, optimizer, device;
        double learning_rate = NAN;
        int64_t batch_size = -1, epochs = -1, seed = -1;
    } applied_;
};

}  // namespace lk::api
