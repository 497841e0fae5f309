#include "api/training_job.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "api/backends.hpp"
#include "api/trainer_calls.hpp"
#include "glue.hpp"

namespace lk::api {

namespace {
std::mutex g_jobs_mutex;
std::vector<LKTrainingJob*> g_jobs;  // started and not yet destroyed
thread_local LKTrainingJob::Relay* t_next_relay = nullptr;  // see RelayScope
}  // namespace

LKTrainingJob::~LKTrainingJob() {
    stop_and_join();
    std::lock_guard<std::mutex> lock(g_jobs_mutex);
    g_jobs.erase(std::remove(g_jobs.begin(), g_jobs.end(), this), g_jobs.end());
}

void LKTrainingJob::stop_and_join() {
    {
        std::lock_guard<std::mutex> lock(emit_mutex_);
        dying_ = true;
    }
    cancel_.store(true);
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void LKTrainingJob::stop_all() {
    std::vector<LKTrainingJob*> jobs;
    {
        std::lock_guard<std::mutex> lock(g_jobs_mutex);
        jobs = g_jobs;
    }
    // Jobs are destroyed on the main thread, which is the one running this: none goes away during the loop.
    for (LKTrainingJob* job : jobs) job->stop_and_join();
}

void LKTrainingJob::start(const ExtRef<LKTrainer>& trainer, const ExtRef<LKNetwork>& network,
                          const ExtRef<LKHistory>& history, int epochs, std::function<void(LKTrainingJob&)> work) {
    trainer_ = trainer;
    network_ = network;
    history_ = history;
    epochs_ = epochs;
    relay_ = t_next_relay;
    {
        std::lock_guard<std::mutex> lock(g_jobs_mutex);
        g_jobs.push_back(this);
    }
    thread_ = std::thread([this, work = std::move(work)] { work(*this); });
}

void LKTrainingJob::epoch_done(int epoch, float loss) {
    epoch_.store(epoch + 1);
    std::lock_guard<std::mutex> lock(emit_mutex_);
    if (dying_) return;
    signals::LKTrainingJob_epoch_completed_deferred(owner(), int64_t(epoch), double(loss));
    const double fraction = double(epoch + 1) / double(std::max<int64_t>(epochs_, 1));
    signals::LKTrainingJob_progress_deferred(owner(), fraction);
    if (relay_) relay_->relay_epoch(int64_t(epoch), double(loss), fraction);
}

void LKTrainingJob::epoch_logged(const EpochLog& log) {
    std::lock_guard<std::mutex> lock(emit_mutex_);
    if (dying_) return;
    const gd::Dictionary logs = log_dictionary(log);
    signals::LKTrainingJob_epoch_metrics_deferred(owner(), int64_t(log.epoch), logs);
    if (has_on_epoch_) {
        gd::Object(owner()).call_deferred(gd::StringName("_run_on_epoch"), {gd::Variant(int64_t(log.epoch)),
                                                                            gd::Variant(logs)});
    }
}

void LKTrainingJob::run_on_epoch(int64_t epoch, const gd::Dictionary& logs) {
    // Every epoch's call runs, in order, before `finished` (deferred calls keep their order), even when the worker
    // has already ended: a short fit would otherwise call it for no epoch at all. After a cancel (a false from an
    // earlier call, or cancel()) the later epochs' calls are skipped, as Keras stops calling back after a stop.
    if (on_epoch.is_nil() || cancel_requested()) return;
    std::string err;
    if (!call_on_epoch(on_epoch, epoch, logs, &err)) {
        if (!err.empty()) push_error("LKTrainingJob.on_epoch", err);
        cancel();
    }
}

void LKTrainingJob::finish(bool ok, bool cancelled) {
    ok_ = ok;
    cancelled_.store(cancelled, std::memory_order_release);
    done_.store(true, std::memory_order_release);
    std::lock_guard<std::mutex> lock(emit_mutex_);
    if (dying_) return;
    signals::LKTrainingJob_finished_deferred(owner(), ok ? history_ : ExtRef<LKHistory>());
    if (relay_) relay_->relay_finished(ok ? history_ : ExtRef<LKHistory>());
}

LKTrainingJob::RelayScope::RelayScope(Relay* relay) { t_next_relay = relay; }
LKTrainingJob::RelayScope::~RelayScope() { t_next_relay = nullptr; }

void LKTrainingJob::detach(Relay* relay) {
    std::lock_guard<std::mutex> lock(emit_mutex_);
    if (relay_ == relay) relay_ = nullptr;
}

ExtRef<LKTrainingJob> LKTrainer::fit_async(const gd::Array& inputs, const gd::Array& targets,
                                           const gd::Dictionary& options) {
    const char* where = "LKTrainer.fit_async";
    auto X = std::make_shared<std::vector<float>>(), T = std::make_shared<std::vector<float>>();
    auto opts = std::make_shared<FitOptions>();
    size_t rows = 0;
    TrainConfig cfg;
    if (!read_fit(inputs, targets, options, &cfg, X.get(), T.get(), &rows, opts.get(), where)) return {};
    return start_job(X, T, rows, cfg, opts, where);
}

ExtRef<LKTrainingJob> LKTrainer::start_job(std::shared_ptr<std::vector<float>> X,
                                           std::shared_ptr<std::vector<float>> T, size_t rows, TrainConfig cfg,
                                           std::shared_ptr<FitOptions> opts, const char* where) {
    // Handlers connect to the job after this returns: only options ask for the per-epoch write-back here.
    opts->watch.write_back = opts->has_callback();
    // Taken here, released by the worker before `finished` is emitted: a second call is refused at once.
    auto guard = std::make_shared<CallGuard>(trainer_, &network->net, where);
    if (!guard->ok()) return {};
    Backend* backend = backend_for(std::min<size_t>(rows, size_t(cfg.batch_size)), where);
    if (!backend) return {};
    // One epoch per GPU submit, so that cancel() stops after the epoch it lands in (the CPU runs one epoch per
    // chunk anyway). The numbers are those of fit(); the cost is one submit and readback per epoch instead of
    // one per >= 64 steps.
    cfg.min_steps_per_submit = 1;
    ExtRef<LKTrainingJob> job = ExtRef<LKTrainingJob>::create();
    ExtRef<LKHistory> history = ExtRef<LKHistory>::create();
    if (!job || !history) return {};
    job->on_epoch = opts->on_epoch;
    job->has_on_epoch_ = opts->has_callback();
    opts->on_epoch = gd::Variant();  // the job's copy is the one used (and freed) on the main thread
    Session* session = &trainer_;
    Model* net = &network->net;
    LKHistory* h = history.get();
    job->start(ExtRef<LKTrainer>::from_object(owner()), network, history, cfg.epochs,
               [=](LKTrainingJob& self) mutable {
                   FitHooks hooks;
                   hooks.on_epoch = [&self](int epoch, float loss) { self.epoch_done(epoch, loss); };
                   hooks.should_stop = [&self] { return self.cancel_requested(); };
                   hooks.on_epoch_log = [&self](const EpochLog& log) {
                       self.epoch_logged(log);
                       return true;  // the callback runs on the main thread: a false from it cancels the job
                   };
                   std::string err;
                   const bool ok = session->fit(*net, X->data(), T->data(), rows, cfg, *backend, &h->result, &err,
                                                hooks, &opts->watch);
                   if (!ok) push_error(where, err);
                   if (ok) warn_nonfinite(h->result, where);
                   if (ok) note_used(*backend);
                   guard.reset();
                   self.finish(ok, ok && h->result.stopped && self.cancel_requested());
               });
    return job;
}

void LKTrainer::set_resume_epoch(int64_t v) {
    if (v < 0) {
        push_error("LKTrainer.resume_epoch", str("resume_epoch is ", v, ": expected an epoch >= 0"));
        return;
    }
    resume_epoch = v;
}

ExtRef<LKHistory> LKTrainer::train_for(const gd::Array& inputs, const gd::Array& targets, double budget_ms,
                                       const gd::Dictionary& options) {
    const char* where = "LKTrainer.train_for";
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();  // the budget counts the data's conversion and upload too
    std::vector<float> X, T;
    size_t rows = 0;
    TrainConfig cfg;
    FitOptions opts;  // parsed again each call: the same options split the same rows (the seed decides)
    if (!read_fit(inputs, targets, options, &cfg, &X, &T, &rows, &opts, where)) return {};
    if (!(budget_ms > 0.0)) {
        push_error(where, str("budget_ms is ", budget_ms, ": expected a positive number of milliseconds"));
        return {};
    }
    ExtRef<LKHistory> history = ExtRef<LKHistory>::create();
    if (resume_epoch >= cfg.epochs) return history;  // done: 0 epochs until resume_epoch is set back
    CallGuard guard(trainer_, &network->net, where);
    if (!guard.ok()) return {};
    Backend* backend = backend_for(std::min<size_t>(rows, size_t(cfg.batch_size)), where);
    if (!backend) return {};
    cfg.first_epoch = int(resume_epoch);
    cfg.min_steps_per_submit = 1;  // one epoch per chunk: the budget is checked after each
    if (resume_epoch == 0 || !resume_stopper_) {
        // A fit starts: the plateau's and the early stopping's memory start with it, and carry over to the calls
        // that resume it (so that the calls together are one fit(), schedule and stopping included).
        resume_schedule_ = ScheduleState();
        resume_stopper_ = std::make_unique<EarlyStopper>(opts.watch.early);
    }
    int done = 0;
    FitHooks hooks;
    hooks.schedule_state = &resume_schedule_;
    hooks.early_stopper = resume_stopper_.get();
    hooks.pause_on_stop = true;
    const GDExtensionObjectPtr self = owner();
    hooks.on_epoch = [&done, self](int epoch, float loss_value) {
        ++done;
        signals::LKTrainer_epoch_completed(self, int64_t(epoch), double(loss_value));
    };
    std::string callback_error;
    hooks.on_epoch_log = [self, &opts, &callback_error](const EpochLog& log) {
        const gd::Dictionary logs = log_dictionary(log);
        signals::LKTrainer_epoch_metrics(self, int64_t(log.epoch), logs);
        return !opts.has_callback() || call_on_epoch(opts.on_epoch, int64_t(log.epoch), logs, &callback_error);
    };
    // Stops when the next epoch, at the mean epoch time so far (setup included), would overrun the budget.
    hooks.should_stop = [&] {
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        return ms + ms / std::max(done, 1) > budget_ms;
    };
    opts.watch.write_back = observed() || opts.has_callback();  // handlers see each epoch's network, as in fit()
    std::string err;
    if (!trainer_.fit(network->net, X.data(), T.data(), rows, cfg, *backend, &history->result, &err, hooks,
                      &opts.watch)) {
        push_error(where, err);
        return {};
    }
    if (!callback_error.empty()) push_error(where, callback_error);
    const FitResult& r = history->result;
    // Early stopping, a callback's false or a non-finite loss end the whole fit, not only this call.
    resume_epoch = !r.stopped || r.paused ? resume_epoch + int64_t(r.epoch_loss.size()) : cfg.epochs;
    warn_nonfinite(history->result, where);
    note_used(*backend);
    return history;
}

}  // namespace lk::api
