#include "api/backends.hpp"

#include <memory>
#include <mutex>

#include "core/device_choice.hpp"
#include "godot/log.hpp"
#include "gpu/rd_backend.hpp"

namespace lk::api {

namespace {
std::mutex g_mutex;  // guards everything below
std::unique_ptr<RdBackend> g_gpu;
bool g_gpu_tried = false;
std::string g_gpu_reason, g_gpu_name, g_gpu_vendor;
std::string g_last_backend, g_last_device;

RdBackend* shared_gpu() {
    if (!g_gpu_tried) {
        g_gpu_tried = true;
        g_gpu = RdBackend::create(&g_gpu_reason);
        if (g_gpu) {
            g_gpu_name = g_gpu->device_name();
            g_gpu_vendor = g_gpu->vendor();
        }
    }
    return g_gpu.get();
}

// TEMPORARY (until the per-session GPU arenas land): a session's GPU backend forwards to the one shared device.
class SharedGpu final : public Backend {
public:
    explicit SharedGpu(RdBackend* gpu) : gpu_(gpu) {}
    std::string name() const override { return gpu_->name(); }
    std::string device_name() const override { return gpu_->device_name(); }

protected:
    bool do_reserve(size_t floats, size_t uints, std::string* err) override { return gpu_->reserve(floats, uints, err); }
    void do_upload(size_t off, const float* src, size_t n) override { gpu_->upload(off, src, n); }
    void do_upload_indices(size_t off, const uint32_t* src, size_t n) override { gpu_->upload_indices(off, src, n); }
    void do_download(size_t off, float* dst, size_t n) override {
        gpu_->download(off, dst, n);
        if (!gpu_->error().empty()) fail(gpu_->error());
    }
    void do_run(const KernelCall* calls, size_t n) override { gpu_->run(calls, n); }
    void do_flush() override { gpu_->flush(); }

private:
    RdBackend* gpu_;
};

std::unique_ptr<Backend> make_gpu_backend(std::string* err) {
    std::lock_guard<std::mutex> lock(g_mutex);
    RdBackend* gpu = shared_gpu();
    if (!gpu) {
        if (err) *err = g_gpu_reason;
        return nullptr;
    }
    return std::make_unique<SharedGpu>(gpu);
}
}  // namespace

void init_backends() { set_gpu_backend_factory(make_gpu_backend); }

bool gpu_available() {
    std::lock_guard<std::mutex> lock(g_mutex);
    return shared_gpu() != nullptr;
}

const std::string& gpu_unavailable_reason() {
    gpu_available();
    return g_gpu_reason;
}

std::string gpu_name() { return gpu_available() ? g_gpu_name : std::string(); }
std::string gpu_vendor() { return gpu_available() ? g_gpu_vendor : std::string(); }

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
    std::lock_guard<std::mutex> lock(g_mutex);
    g_last_backend = backend.name();
    g_last_device = backend.device_name();
}
std::string last_backend() {
    std::lock_guard<std::mutex> lock(g_mutex);
    return g_last_backend;
}
std::string last_device() {
    std::lock_guard<std::mutex> lock(g_mutex);
    return g_last_device;
}

void shutdown_backends() {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_gpu.reset();
    g_gpu_tried = false;
}

}  // namespace lk::api
