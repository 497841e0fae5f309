#include "api/backends.hpp"

#include <memory>

#include "core/cpu_backend.hpp"
#include "core/device_choice.hpp"
#include "godot/log.hpp"
#include "gpu/rd_backend.hpp"

namespace lk::api {

namespace {
std::unique_ptr<CpuBackend> g_cpu;
std::unique_ptr<RdBackend> g_gpu;
bool g_gpu_tried = false;
std::string g_gpu_reason;
std::string g_last_backend, g_last_device;
}  // namespace

Backend& cpu_backend() {
    if (!g_cpu) g_cpu = std::make_unique<CpuBackend>();
    return *g_cpu;
}

Backend* gpu_backend() {
    if (!g_gpu_tried) {
        g_gpu_tried = true;
        g_gpu = RdBackend::create(&g_gpu_reason);
    }
    return g_gpu.get();
}

const std::string& gpu_unavailable_reason() {
    gpu_backend();
    return g_gpu_reason;
}

std::string gpu_vendor() { return gpu_backend() ? g_gpu->vendor() : std::string(); }

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
    g_last_backend = backend.name();
    g_last_device = backend.device_name();
}
const std::string& last_backend() { return g_last_backend; }
const std::string& last_device() { return g_last_device; }

void shutdown_backends() {
    g_gpu.reset();
    g_cpu.reset();
    g_gpu_tried = false;
}

}  // namespace lk::api
