// The GPU backend of one session: its own arena (two storage buffers) on an RdDevice (see rd_device.hpp for
// the device, its thread and Godot's thread rules). Usable from any thread, one call at a time per backend
// (like every Backend); several backends may run at once from several threads, their work is serialised on
// the device.
// run() only queues the calls here; flush() hands them to the device in one job that records them into one
// compute list with a barrier after each (every call may read what the previous one wrote), submits and
// waits. Recording at flush keeps one backend's compute list from ever being open while another backend's
// upload runs on the same device.
#pragma once
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/backend.hpp"
#include "gd_classes.hpp"

namespace lk {

class RdDevice;

class RdBackend final : public Backend {
public:
    explicit RdBackend(std::shared_ptr<RdDevice> device);
    ~RdBackend() override;

    std::string name() const override { return "gpu"; }
    std::string device_name() const override;
    // The arena is bound as ONE storage buffer, so it must fit the device's maxStorageBufferRange, which Godot
    // does not expose (RenderingDevice::Limit has no such entry in 4.6). 2 GiB - 256 B: lavapipe's limit
    // (2^31 - 1 bytes; a 2.0001 GiB arena crashed it), below NVIDIA's and AMD's 4 GiB. Vulkan only guarantees
    // 128 MiB, so smaller devices may still report an error from the driver, never a silent wrong result.
    size_t max_floats() const override { return (size_t(1) << 29) - 64; }

    // Called by the device when it shuts down, on its thread: frees the arena; the backend then fails
    // every operation with an error.
    void release_on_device(gd::RenderingDevice& rd);

protected:
    bool do_reserve(size_t floats, size_t uints, std::string* err) override;
    void do_upload(size_t off, const float* src, size_t n) override;
    void do_upload_indices(size_t off, const uint32_t* src, size_t n) override;
    void do_download(size_t off, float* dst, size_t n) override;
    void do_run(const KernelCall* calls, size_t n) override;
    void do_flush() override;

private:
    // Runs fn on the device (see RdDevice::execute); false, with an error recorded, when the device is gone.
    bool on_device(const std::function<void(gd::RenderingDevice&)>& fn);
    void upload_bytes(bool indices, size_t off, const void* src, size_t n);
    gd::RID uniform_set(gd::RenderingDevice& rd, Kernel kernel, gd::RID shader);
    void record_and_submit(gd::RenderingDevice& rd, const KernelCall* calls, size_t n);

    std::shared_ptr<RdDevice> device_;
    // Device-thread state (touched only inside device jobs).
    gd::RID arena_, iarena_;
    std::vector<gd::RID> uniform_sets_;  // per kernel; freed with the arena buffers
    std::unordered_map<uint16_t, gd::RID> custom_sets_;  // the same for custom activations, by kernel id
    bool released_ = false;
    gd::PackedByteArray push_bytes_;     // reused for every push constant
    // Caller-thread state.
    std::vector<KernelCall> pending_;    // queued by run(), recorded by flush()
};

}  // namespace lk
