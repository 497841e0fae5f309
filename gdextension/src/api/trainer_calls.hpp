// What LKTrainer's calls share (api/trainer_api.cpp, api/training_job.cpp): the one-call-at-a-time guard and the
// warning after a fit whose loss became NaN or infinite.
#pragma once
#include "api/network_api.hpp"
#include "core/session.hpp"
#include "godot/log.hpp"

namespace lk::api {

// One call at a time per trainer, and one training call at a time per network: a second one (from another
// thread, or from an epoch_completed handler of a running fit()) is refused, never run on shared memory.
class CallGuard {
public:
    CallGuard(Session& session, Model* model, const char* where) : session_(session), model_(model) {
        if (!session_.try_enter()) {
            push_error(where, "this trainer is already running a call (an LKTrainingJob of its fit_async() that is not "
                              "finished: await job.finished or cancel() it; a call on another thread; or this is a "
                              "signal handler of its own fit()): one call at a time per trainer");
            return;
        }
        entered_ = true;
        if (model_ && !model_->begin_training()) {
            push_error(where, "the network is already being trained by another call (another trainer's fit_async() "
                              "job or thread, or a signal handler of its fit()): one training call at a time per "
                              "network");
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

inline void warn_nonfinite(const FitResult& r, const char* where) {
    if (r.nonfinite_epoch >= 0) {  // never silent: the numbers after this point are NaN or Inf
        push_warning(where, str("the loss became NaN or infinite in epoch ", r.nonfinite_epoch, ", step ",
                                r.nonfinite_step, " (", r.stopped ? "training stopped there" : "training went on",
                                "): lower the learning rate or weight decay, check the data's scale, or set clip_norm"));
    }
}

}  // namespace lk::api
