// LKTrainingJob: one fit running on its own thread (LKTrainer.fit_async). Its signals reach the main thread
// through Object.call_deferred (the generated *_deferred emitters), in order: epoch_completed and progress per
// epoch, then finished once.
//
// Lifetime: the job holds the trainer, the network and the history until it is destroyed; destroying it (its last
// reference dropped, or the extension unloading at quit) cancels the fit and joins the thread, so no thread ever
// outlives the objects it uses. The worker touches no Godot object but through call_deferred, and never after the
// destructor started (dying_, under emit_mutex_).
#pragma once
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "api/trainer_api.hpp"

namespace lk::api {

class LKTrainingJob : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LKTrainingJob";
    ~LKTrainingJob() override;

    void cancel() { cancel_.store(true); }
    bool get_done() const { return done_.load(std::memory_order_acquire); }
    bool get_cancelled() const { return cancelled_.load(std::memory_order_acquire); }
    int64_t get_epoch() const { return epoch_.load(); }
    int64_t get_epochs() const { return epochs_; }
    // Null until done (the worker fills it), and null after a failed fit.
    ExtRef<LKHistory> get_history() const { return get_done() && ok_ ? history_ : ExtRef<LKHistory>(); }

    // Runs work(*this) on a new thread; the references keep what the work uses alive until the job is destroyed.
    // work calls epoch_done() per epoch, polls cancel_requested(), then finish() as its last use of the job.
    void start(const ExtRef<LKTrainer>& trainer, const ExtRef<LKNetwork>& network, const ExtRef<LKHistory>& history,
               int epochs, std::function<void(LKTrainingJob&)> work);
    bool cancel_requested() const { return cancel_.load(); }
    void epoch_done(int epoch, float loss);
    // Worker: an epoch's log (fit options): epoch_metrics, then the on_epoch Callable, deferred to the main thread.
    void epoch_logged(const EpochLog& log);
    // Main thread (deferred by epoch_logged): runs the on_epoch Callable; false from it cancels the job.
    void run_on_epoch(int64_t epoch, const gd::Dictionary& logs);
    gd::Variant on_epoch;  // set before start(); read on the main thread only
    void finish(bool ok, bool cancelled);

    // Cancels and joins every running job (the extension's shutdown: before the GPU device goes).
    static void stop_all();

    // Another object that re-emits this job's signals (LKBrain). The worker calls it under emit_mutex_ right after
    // the job's own emissions, so detach() (the relay's destructor) waits for one in progress and no call reaches
    // a destroyed relay.
    struct Relay {
        virtual ~Relay() = default;
        virtual void relay_epoch(int64_t epoch, double loss, double fraction) = 0;
        virtual void relay_finished(const ExtRef<LKHistory>& history) = 0;
    };
    // Jobs started on this thread while a RelayScope lives get its relay before their worker starts, so that not
    // even the first epoch's signal can be missed (LKTrainer.fit_async starts the worker before it returns).
    class RelayScope {
    public:
        explicit RelayScope(Relay* relay);
        ~RelayScope();
    };
    void detach(Relay* relay);

private:
    void stop_and_join();
    ExtRef<LKTrainer> trainer_;
    ExtRef<LKNetwork> network_;
    ExtRef<LKHistory> history_;
    int64_t epochs_ = 0;
    bool ok_ = false;  // written by the worker before done_ (release)
    friend class LKTrainer;
    bool has_on_epoch_ = false;  // set before start(), read by the worker
    std::atomic<bool> cancel_{false}, done_{false}, cancelled_{false};
    std::atomic<int64_t> epoch_{0};
    std::mutex emit_mutex_;
    bool dying_ = false;  // under emit_mutex_: no more deferred calls on this object
    Relay* relay_ = nullptr;  // under emit_mutex_ once the worker runs
    std::thread thread_;
};

}  // namespace lk::api
