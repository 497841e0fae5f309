#include "api/training_job.hpp"

#include <algorithm>
#include <vector>

#include "glue.hpp"

namespace lk::api {

namespace {
std::mutex g_jobs_mutex;
std::vector<LKTrainingJob*> g_jobs;  // started and not yet destroyed
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
    signals::LKTrainingJob_progress_deferred(owner(), double(epoch + 1) / double(std::max<int64_t>(epochs_, 1)));
}

void LKTrainingJob::finish(bool ok, bool cancelled) {
    ok_ = ok;
    cancelled_.store(cancelled, std::memory_order_release);
    done_.store(true, std::memory_order_release);
    std::lock_guard<std::mutex> lock(emit_mutex_);
    if (dying_) return;
    signals::LKTrainingJob_finished_deferred(owner(), ok ? history_ : ExtRef<LKHistory>());
}

}  // namespace lk::api
