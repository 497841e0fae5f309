#include "api/backends.hpp"

#include <memory>
#include <mutex>

#include "core/cpu_backend.hpp"
#include "core/device_choice.hpp"
#include "godot/log.hpp"
#include "gpu/rd_device.hpp"

namespace lk::api {

namespace {
std::unique_ptr<CpuBackend> g_cpu;
// One GPU backend (arena) per thread that uses the GPU, all on the one GPU device (gpu/rd_device.hpp): a
// GDScript Thread can train while the main thread predicts. Freed when its thread exits; the main thread's in
// shutdown_backends(); one of a thread still running at deinit is released by shutdown_gpu() and its
// destructor, later, does nothing. Interim: sessions will own their backends.
thread_local std::unique_ptr<Backend> t_gpu;
thread_local bool t_gpu_tried = false;
std::mutex g_used_mutex;  // note_used() runs on every thread that trains or predicts
std::string g_last_backend, g_last_device;
}  // namespace

Backend& cpu_backend() {
    if (!g_cpu) g_cpu = std::make_unique<CpuBackend>();
    return *g_cpu;
}

Backend* gpu_backend() {
    if (!t_gpu_tried) {
        t_gpu_tried = true;
        std::string err;
        t_gpu = make_gpu_backend(&err);
    }
    return t_gpu.get();
}

std::string gpu_unavailable_reason() {
    std::string reason;
    return gpu_available(&reason) ? std::string() : reason;
}

std::string gpu_vendor() { return lk::gpu_vendor(); }

Backend* choose_backend(const std::string& device, const Network& net, size_t batch_rows, const char* where) {
    if (device == "cpu") return &cpu_backend();
    if (device == "gpu") {
        if (Backend* gpu = gpu_backend()) return gpu;
        push_error(where, str("device \"gpu\" was requested but ", gpu_unavailable_reason(),
                              "; use device \"auto\" or \"cpu\""));
        return nullptr;
    }
    if (device != "auto") {
        push_error(where, str("unknown device \"", device, "\": expected \"auto\", \"gpu\" or \"cpu\""));
        return nullptr;
    }
    if (prefer_gpu(net, batch_rows)) {
        if (Backend* gpu = gpu_backend()) return gpu;
    }
    return &cpu_backend();
}

void note_used(const Backend& backend) {
    std::lock_guard<std::mutex> lock(g_used_mutex);
    g_last_backend = backend.name();
    g_last_device = backend.device_name();
}
std::string last_backend() {
    std::lock_guard<std::mutex> lock(g_used_mutex);
    return g_last_backend;
}
std::string last_device() {
    std::lock_guard<std::mutex> lock(g_used_mutex);
    return g_last_device;
}

void shutdown_backends() {
    t_gpu.reset();  // the calling (main) thread's; other threads' are released by shutdown_gpu()
    t_gpu_tried = false;
    shutdown_gpu();
    g_cpu.reset();
}

}  // namespace lk::api
