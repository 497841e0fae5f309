#include "gpu/warm_up.hpp"

#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/custom_activation.hpp"
#include "gpu/rd_device.hpp"

namespace lk {

namespace {

// A policy, not a catalogue: what most game networks use. A name the catalogue lacks simply matches nothing.
const char* const kCommonActivations[] = {"identity", "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "silu", "elu"};
const char* const kCommonLosses[] = {"mse", "mae", "huber", "bce", "bce_with_logits", "cce", "nll"};
const char* const kCommonOptimizers[] = {"sgd", "adam", "adamw"};

bool starts_with(const std::string& s, const char* prefix) { return s.compare(0, std::strlen(prefix), prefix) == 0; }

std::string strip_suffix(std::string s, const char* suffix) {
    const size_t n = std::strlen(suffix);
    if (s.size() > n && s.compare(s.size() - n, n, suffix) == 0) s.resize(s.size() - n);
    return s;
}

template <size_t N>
bool in(const std::string& name, const char* const (&list)[N]) {
    for (const char* item : list) {
        if (name == item) return true;
    }
    return false;
}

// The catalogue entry a kernel is a variant of decides; kernels of no catalogue entry are always common.
bool is_common(const std::string& kernel) {
    for (const char* family : {"dense_forward_", "dense_backward_input_", "act_forward_", "act_backward_"}) {
        if (starts_with(kernel, family)) return in(strip_suffix(kernel.substr(std::strlen(family)), "_t128"), kCommonActivations);
    }
    if (starts_with(kernel, "loss_")) return in(strip_suffix(kernel.substr(5), "_fused"), kCommonLosses);
    if (starts_with(kernel, "optimizer_step_")) return in(kernel.substr(15), kCommonOptimizers);
    return true;
}

std::mutex g_mutex;
std::thread g_thread;
std::deque<Kernel> g_queue;
WarmUpState g_state = WarmUpState::IDLE;
bool g_stop = false;
std::vector<WarmUpDone> g_done;  // one per start_warm_up() of this run
std::chrono::steady_clock::time_point g_start;

void run() {
    std::string reason;
    std::shared_ptr<RdDevice> device = gpu_device(&reason);  // may take a while: the reason for this thread
    std::string message = device ? std::string() : reason;
    std::vector<WarmUpDone> done;
    double ms = 0.0;
    for (;;) {
        Kernel kernel;
        {
            std::lock_guard<std::mutex> lock(g_mutex);
            if (g_stop) return;  // shutting down: no state change, no callback into a dying engine
            if (!device || g_queue.empty()) {
                // Finished, in the same critical section that a start_warm_up() adding kernels would take.
                g_queue.clear();
                g_state = message.empty() ? WarmUpState::DONE : WarmUpState::FAILED;
                done.swap(g_done);
                ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - g_start).count();
                break;
            }
            kernel = g_queue.front();
            g_queue.pop_front();
        }
        std::string err;
        const bool ran = device->execute([&](gd::RenderingDevice&) {
            if (!device->pipeline(kernel, &err, true) && err.empty()) err = "pipeline failed";
        });
        if (!ran) err = "the GPU device was shut down";
        // A kernel that fails here fails the same way in a fit, with this message; the rest still warm up.
        if (!err.empty() && message.empty()) message = err;
    }
    for (const WarmUpDone& d : done) {
        if (d) d(message.empty(), message, ms);
    }
}

}  // namespace

bool warm_up_kernels(const std::string& scope, std::vector<Kernel>* kernels) {
    if (scope != "common" && scope != "all") return false;
    kernels->clear();
    for (uint32_t k = 0; k < KERNEL_COUNT; ++k) {
        if (scope == "all" || is_common(kernel_info(Kernel(k)).name)) kernels->push_back(Kernel(k));
    }
    // The custom activations registered now: theirs are the only kernels compiled from GLSL at run time (the
    // slowest to build), so a game that registers them before warm_up() has no first-use compile either.
    for (Kernel k : custom_activation_kernels()) kernels->push_back(k);
    return true;
}

const char* warm_up_state_name(WarmUpState state) {
    switch (state) {
        case WarmUpState::IDLE: return "idle";
        case WarmUpState::RUNNING: return "running";
        case WarmUpState::DONE: return "done";
        case WarmUpState::FAILED: return "failed";
    }
    return "idle";
}

WarmUpState warm_up_state() {
    std::lock_guard<std::mutex> lock(g_mutex);
    return g_state;
}

void start_warm_up(std::vector<Kernel> kernels, WarmUpDone done) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_queue.insert(g_queue.end(), kernels.begin(), kernels.end());
    g_done.push_back(std::move(done));
    if (g_state == WarmUpState::RUNNING) return;
    // The previous run has ended (it set DONE or FAILED under this lock; what is left of it never takes the lock):
    // join it.
    if (g_thread.joinable()) g_thread.join();
    g_state = WarmUpState::RUNNING;
    g_stop = false;
    g_start = std::chrono::steady_clock::now();
    g_thread = std::thread(run);
}

void stop_warm_up() {
    std::thread thread;
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        g_stop = true;
        g_queue.clear();
        thread.swap(g_thread);
        if (g_state == WarmUpState::RUNNING) g_state = WarmUpState::IDLE;
        g_done.clear();
    }
    if (thread.joinable()) thread.join();
}

}  // namespace lk
