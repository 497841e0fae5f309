#include "api/backends.hpp"

#include <mutex>

#include "core/device_choice.hpp"
#include "godot/log.hpp"
#include "gpu/rd_device.hpp"

namespace lk::api {

namespace {
std::mutex g_used_mutex;  // note_used() runs on every thread that trains or predicts
std::string g_last_backend, g_last_device;
std::string g_reason;  // gpu_unavailable_reason()'s storage; the reason never changes once known
}  // namespace

// Every session gets its own GPU arena on the one GPU device (gpu/rd_device.hpp), from any thread.
void init_backends() { set_gpu_backend_factory(make_gpu_backend); }

bool gpu_available() {
    std::string reason;
    return lk::gpu_available(&reason);
}

const std::string& gpu_unavailable_reason() {
    std::lock_guard<std::mutex> lock(g_used_mutex);
    std::string reason;
    g_reason = lk::gpu_available(&reason) ? std::string() : reason;
    return g_reason;
}


Backend* choose_backend(const std::string& device, const Model& model, size_t batch_rows, const char* where,
                        Session& session) {
    bool gpu = false;
    if (device == "gpu") {
        gpu = true;
    } else if (device == "auto") {
        gpu = prefer_gpu(model, batch_rows) && gpu_available();
    } else if (device != "cpu") {
        push_error(where, str("unknown device \"", device, "\": expected \"auto\", \"gpu\" or \"cpu\""));
        return nullptr;
    }
    std::string err;
    Backend* b = session.backend(gpu, &err);
    if (!b) {
        push_error(where, str("device \"gpu\" was requested but ", err.empty() ? gpu_unavailable_reason() : err,
                              "; use device \"auto\" or \"cpu\""));
    }
    return b;
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

// Sessions still alive (held by scripts) keep their backend objects; after this their GPU operations fail
// with a clear error instead of touching the freed device (gpu/rd_device.hpp).
void shutdown_backends() { shutdown_gpu(); }

}  // namespace lk::api
