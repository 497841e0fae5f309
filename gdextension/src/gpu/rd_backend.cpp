#include "gpu/rd_backend.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/custom_activation.hpp"
#include "gpu/rd_device.hpp"
#include "kernels/kernels.hpp"

namespace lk {

namespace {
double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

RdBackend::RdBackend(std::shared_ptr<RdDevice> device) : device_(std::move(device)) {
    uniform_sets_.resize(KERNEL_COUNT);
    push_bytes_.resize(sizeof(Push));
    device_->execute([this](gd::RenderingDevice&) { device_->attach(this); });
}

RdBackend::~RdBackend() {
    // Refused once the device is shut down: it has released this backend's buffers already.
    device_->execute([this](gd::RenderingDevice& rd) {
        release_on_device(rd);
        device_->detach(this);
    });
}

std::string RdBackend::device_name() const { return device_->name(); }

void RdBackend::release_on_device(gd::RenderingDevice& rd) {
    // Freeing a buffer frees the uniform sets that use it; freeing those again would error (godot#103073).
    if (arena_.is_valid()) rd.free_rid(arena_);
    if (iarena_.is_valid()) rd.free_rid(iarena_);
    arena_ = iarena_ = gd::RID();
    std::fill(uniform_sets_.begin(), uniform_sets_.end(), gd::RID());
    custom_sets_.clear();
    released_ = true;
}

bool RdBackend::on_device(const std::function<void(gd::RenderingDevice&)>& fn) {
    bool ran = false;
    const bool accepted = device_->execute([&](gd::RenderingDevice& rd) {
        if (released_) return;
        fn(rd);
        ran = true;
    });
    if (!accepted || !ran) fail("the GPU device was shut down (the extension is unloading)");
    return accepted && ran;
}

bool RdBackend::do_reserve(size_t floats, size_t uints, std::string* err) {
    bool ok = false;
    const bool ran = on_device([&](gd::RenderingDevice& rd) {
        const auto start = std::chrono::steady_clock::now();
        // Freeing a buffer frees the uniform sets that use it; they are rebuilt on the next flush.
        if (arena_.is_valid()) rd.free_rid(arena_);
        if (iarena_.is_valid()) rd.free_rid(iarena_);
        std::fill(uniform_sets_.begin(), uniform_sets_.end(), gd::RID());
        custom_sets_.clear();
        arena_ = rd.storage_buffer_create(int64_t(std::max<size_t>(floats, 1) * 4));
        iarena_ = rd.storage_buffer_create(int64_t(std::max<size_t>(uints, 1) * 4));
        ok = arena_.is_valid() && iarena_.is_valid();
        if (device_->profiling()) device_->add_op_time(RdDevice::OP_RESERVE, ms_since(start));
    });
    if (!ran) {
        *err = error();
        return false;
    }
    if (!ok) {
        *err = "could not allocate GPU buffers of " + std::to_string(floats * 4) + " + " +
               std::to_string(uints * 4) + " bytes";
    }
    return ok;
}

void RdBackend::upload_bytes(bool indices, size_t off, const void* src, size_t n) {
    if (n == 0) return;
    on_device([&](gd::RenderingDevice& rd) {
        const auto start = std::chrono::steady_clock::now();
        gd::PackedByteArray bytes;
        bytes.resize(int64_t(n * 4));
        std::memcpy(bytes.data(), src, n * 4);
        rd.buffer_update(indices ? iarena_ : arena_, int64_t(off * 4), int64_t(n * 4), bytes);
        if (device_->profiling())
            device_->add_op_time(indices ? RdDevice::OP_UPLOAD_INDICES : RdDevice::OP_UPLOAD, ms_since(start));
    });
}

void RdBackend::do_upload(size_t off, const float* src, size_t n) { upload_bytes(false, off, src, n); }

void RdBackend::do_upload_indices(size_t off, const uint32_t* src, size_t n) { upload_bytes(true, off, src, n); }

void RdBackend::do_download(size_t off, float* dst, size_t n) {
    if (n == 0) return;
    int64_t got = -1;
    const bool ran = on_device([&](gd::RenderingDevice& rd) {
        const auto start = std::chrono::steady_clock::now();
        gd::PackedByteArray data = rd.buffer_get_data(arena_, int64_t(off * 4), int64_t(n * 4));
        got = data.size();
        if (size_t(got) == n * 4) std::memcpy(dst, data.data(), n * 4);
        if (device_->profiling()) device_->add_op_time(RdDevice::OP_DOWNLOAD, ms_since(start));
    });
    if (ran && size_t(got) == n * 4) return;
    if (ran) fail("GPU readback returned " + std::to_string(got) + " bytes, expected " + std::to_string(n * 4));
    std::memset(dst, 0, n * 4);
}

gd::RID RdBackend::uniform_set(gd::RenderingDevice& rd, Kernel kernel, gd::RID shader) {
    // Custom activations' kernels (core/custom_activation.hpp) have ids beyond the generated ones.
    gd::RID& set = size_t(kernel) < uniform_sets_.size() ? uniform_sets_[size_t(kernel)]
                                                         : custom_sets_[uint16_t(kernel)];
    if (set.is_valid()) return set;
    gd::Array uniforms;
    const gd::RID buffers[2] = {arena_, iarena_};
    for (int64_t binding = 0; binding < 2; ++binding) {
        gd::Ref<gd::RDUniform> u = gd::make_ref<gd::RDUniform>();
        u->set_uniform_type(gd::RenderingDevice::UNIFORM_TYPE_STORAGE_BUFFER);
        u->set_binding(binding);
        u->add_id(buffers[binding]);
        uniforms.push_back(gd::Variant::from_object(u.ptr()));
    }
    set = rd.uniform_set_create(uniforms, shader, 0);
    return set;
}

void RdBackend::do_run(const KernelCall* calls, size_t n) { pending_.insert(pending_.end(), calls, calls + n); }

void RdBackend::record_and_submit(gd::RenderingDevice& rd, const KernelCall* calls, size_t n) {
    // Pipelines and uniform sets are created before the compute list opens, never while it is recording.
    std::vector<const RdDevice::Pipeline*> pipes(n);
    std::vector<gd::RID> sets(n);
    for (size_t i = 0; i < n; ++i) {
        std::string err;
        pipes[i] = device_->pipeline(calls[i].kernel, &err);
        if (pipes[i]) sets[i] = uniform_set(rd, calls[i].kernel, pipes[i]->shader);
        if (!pipes[i] || !sets[i].is_valid()) {
            fail(err.empty() ? std::string("GPU kernel ") +
                                   (is_custom_kernel(calls[i].kernel) ? "of a custom activation"
                                                                      : kernel_info(calls[i].kernel).name) +
                                   " is unavailable"
                             : err);
            return;
        }
    }
    const int64_t list = rd.compute_list_begin();
    uint8_t* push = push_bytes_.data();
    for (size_t i = 0; i < n; ++i) {
        const KernelCall& c = calls[i];
        rd.compute_list_bind_compute_pipeline(list, pipes[i]->pipeline);
        rd.compute_list_bind_uniform_set(list, sets[i], 0);
        std::memcpy(push, &c.push, sizeof(Push));
        rd.compute_list_set_push_constant(list, push_bytes_, int64_t(sizeof(Push)));
        rd.compute_list_dispatch(list, c.groups[0], c.groups[1], c.groups[2]);
        // Every call may read what the previous one wrote (one arena): order them.
        rd.compute_list_add_barrier(list);
    }
    rd.compute_list_end();
    rd.submit();
    rd.sync();
}

void RdBackend::do_flush() {
    std::vector<KernelCall> calls;
    calls.swap(pending_);
    on_device([&](gd::RenderingDevice& rd) {
        const auto start = std::chrono::steady_clock::now();
        if (device_->profile_each_call()) {  // LEARNKIT_PROFILE=1: one submit per call, timed per kernel
            for (const KernelCall& c : calls) {
                const auto call_start = std::chrono::steady_clock::now();
                record_and_submit(rd, &c, 1);
                device_->add_kernel_time(c.kernel, ms_since(call_start));
            }
        } else {
            record_and_submit(rd, calls.data(), calls.size());
        }
        if (device_->profiling()) device_->add_op_time(RdDevice::OP_FLUSH, ms_since(start));
    });
}

}  // namespace lk
