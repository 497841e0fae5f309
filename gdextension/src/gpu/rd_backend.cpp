#include "gpu/rd_backend.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "kernels/kernels.hpp"

namespace lk {

struct RdBackend::OpTimer {
    RdBackend* self;
    Op op;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    ~OpTimer() {
        if (!self->profile_) return;
        self->op_ms_[op] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        self->op_calls_[op] += 1;
    }
};

namespace {
gd::PackedByteArray bytes_of(const void* src, size_t n) {
    gd::PackedByteArray out;
    out.resize(int64_t(n));
    if (n) std::memcpy(out.data(), src, n);
    return out;
}
}  // namespace

std::unique_ptr<RdBackend> RdBackend::create(std::string* err) {
    gd::RenderingServer rs = gd::RenderingServer::singleton();
    gd::RenderingDevice rd = rs ? rs.create_local_rendering_device() : gd::RenderingDevice();
    if (!rd) {
        // godot#68884: no RenderingDevice under --headless or the Compatibility (OpenGL) renderer.
        *err = "no RenderingDevice (Godot runs headless or with the Compatibility renderer; Vulkan/D3D12/Metal "
               "is needed for the GPU backend)";
        return nullptr;
    }
    return std::unique_ptr<RdBackend>(new RdBackend(rd));
}

RdBackend::RdBackend(gd::RenderingDevice rd) : rd_(rd) {
    device_name_ = rd_.get_device_name().utf8();
    vendor_ = rd_.get_device_vendor_name().utf8();
    pipelines_.resize(KERNEL_COUNT);
    push_bytes_.resize(sizeof(Push));
    const char* profile = std::getenv("LEARNKIT_PROFILE");
    profile_ = profile && (std::string(profile) == "1" || std::string(profile) == "ops");
    profile_calls_each_ = profile && std::string(profile) == "1";
    profile_ms_.assign(KERNEL_COUNT, 0.0);
    profile_calls_.assign(KERNEL_COUNT, 0);
}

RdBackend::~RdBackend() {
    if (list_ >= 0) do_flush();
    if (profile_) {
        std::printf("LearnKit GPU profile (%s): kernel, calls, total ms, us per call\n", device_name_.c_str());
        for (uint32_t k = 0; k < KERNEL_COUNT; ++k) {
            if (!profile_calls_[k]) continue;
            std::printf("  %-40s %8llu %10.3f %10.2f\n", kernel_info(Kernel(k)).name,
                        (unsigned long long)profile_calls_[k], profile_ms_[k],
                        1000.0 * profile_ms_[k] / double(profile_calls_[k]));
        }
        const char* names[OP_COUNT] = {"reserve", "upload", "upload_indices", "download", "flush"};
        for (int op = 0; op < OP_COUNT; ++op) {
            std::printf("  [%-38s] %8llu %10.3f %10.2f\n", names[op], (unsigned long long)op_calls_[op], op_ms_[op],
                        op_calls_[op] ? 1000.0 * op_ms_[op] / double(op_calls_[op]) : 0.0);
        }
        std::fflush(stdout);
    }
    // Freeing a shader also frees its pipeline and uniform sets; freeing those again would error
    // (godot#103073). Everything must go before the device itself (godot#71003).
    for (Pipeline& p : pipelines_) {
        if (p.shader.is_valid()) rd_.free_rid(p.shader);
    }
    if (arena_.is_valid()) rd_.free_rid(arena_);
    if (iarena_.is_valid()) rd_.free_rid(iarena_);
    gdx::object_destroy(rd_.ptr());
}

bool RdBackend::do_reserve(size_t floats, size_t uints, std::string* err) {
    OpTimer timer{this, OP_RESERVE};
    // Freeing a buffer frees the uniform sets that use it; they are rebuilt on the next dispatch.
    if (arena_.is_valid()) rd_.free_rid(arena_);
    if (iarena_.is_valid()) rd_.free_rid(iarena_);
    for (Pipeline& p : pipelines_) p.uniform_set = gd::RID();
    arena_ = rd_.storage_buffer_create(int64_t(std::max<size_t>(floats, 1) * 4));
    iarena_ = rd_.storage_buffer_create(int64_t(std::max<size_t>(uints, 1) * 4));
    if (!arena_.is_valid() || !iarena_.is_valid()) {
        *err = "could not allocate GPU buffers of " + std::to_string(floats * 4) + " + " +
               std::to_string(uints * 4) + " bytes";
        return false;
    }
    return true;
}

void RdBackend::do_upload(size_t off, const float* src, size_t n) {
    if (n == 0) return;
    OpTimer timer{this, OP_UPLOAD};
    rd_.buffer_update(arena_, int64_t(off * 4), int64_t(n * 4), bytes_of(src, n * 4));
}

void RdBackend::do_upload_indices(size_t off, const uint32_t* src, size_t n) {
    if (n == 0) return;
    OpTimer timer{this, OP_UPLOAD_INDICES};
    rd_.buffer_update(iarena_, int64_t(off * 4), int64_t(n * 4), bytes_of(src, n * 4));
}

void RdBackend::do_download(size_t off, float* dst, size_t n) {
    if (n == 0) return;
    OpTimer timer{this, OP_DOWNLOAD};
    gd::PackedByteArray data = rd_.buffer_get_data(arena_, int64_t(off * 4), int64_t(n * 4));
    if (size_t(data.size()) != n * 4) {
        fail("GPU readback returned " + std::to_string(data.size()) + " bytes, expected " + std::to_string(n * 4));
        std::memset(dst, 0, n * 4);
        return;
    }
    std::memcpy(dst, data.data(), n * 4);
}

bool RdBackend::compile(Kernel kernel, Pipeline* p) {
    const KernelInfo& info = kernel_info(kernel);
    gd::Ref<gd::RDShaderSource> source = gd::make_ref<gd::RDShaderSource>();
    source->set_language(gd::RenderingDevice::SHADER_LANGUAGE_GLSL);
    source->set_stage_source(gd::RenderingDevice::SHADER_STAGE_COMPUTE, gd::String(info.glsl_source));
    gd::Ref<gd::RDShaderSPIRV> spirv = rd_.shader_compile_spirv_from_source(source, false);
    if (!spirv) {
        fail(std::string("GPU shader ") + info.name + " did not compile");
        return false;
    }
    std::string log = spirv->get_stage_compile_error(gd::RenderingDevice::SHADER_STAGE_COMPUTE).utf8();
    if (!log.empty()) {
        fail(std::string("GPU shader ") + info.name + " did not compile: " + log);
        return false;
    }
    p->shader = rd_.shader_create_from_spirv(spirv, gd::String(info.name));
    if (!p->shader.is_valid()) {
        fail(std::string("GPU shader ") + info.name + " was rejected by the device");
        return false;
    }
    p->pipeline = rd_.compute_pipeline_create(p->shader, gd::Array());
    return p->pipeline.is_valid();
}

gd::RID RdBackend::make_uniform_set(gd::RID shader) {
    gd::Array uniforms;
    const gd::RID buffers[2] = {arena_, iarena_};
    for (int64_t binding = 0; binding < 2; ++binding) {
        gd::Ref<gd::RDUniform> u = gd::make_ref<gd::RDUniform>();
        u->set_uniform_type(gd::RenderingDevice::UNIFORM_TYPE_STORAGE_BUFFER);
        u->set_binding(binding);
        u->add_id(buffers[binding]);
        uniforms.push_back(gd::Variant::from_object(u.ptr()));
    }
    return rd_.uniform_set_create(uniforms, shader, 0);
}

RdBackend::Pipeline* RdBackend::pipeline(Kernel kernel) {
    Pipeline& p = pipelines_[size_t(kernel)];
    if (p.failed) return nullptr;
    if (!p.pipeline.is_valid() && !compile(kernel, &p)) {
        p.failed = true;
        return nullptr;
    }
    if (!p.uniform_set.is_valid()) p.uniform_set = make_uniform_set(p.shader);
    return p.uniform_set.is_valid() ? &p : nullptr;
}

void RdBackend::do_run(const KernelCall* calls, size_t n) {
    // Pipelines and uniform sets are created before the compute list opens, never while it is recording.
    std::vector<Pipeline*> resolved(n);
    for (size_t i = 0; i < n; ++i) {
        resolved[i] = pipeline(calls[i].kernel);
        if (!resolved[i]) {
            fail(std::string("GPU kernel ") + kernel_info(calls[i].kernel).name + " is unavailable");
            return;
        }
    }
    if (list_ < 0) list_ = rd_.compute_list_begin();
    uint8_t* push = push_bytes_.data();
    for (size_t i = 0; i < n; ++i) {
        const KernelCall& c = calls[i];
        rd_.compute_list_bind_compute_pipeline(list_, resolved[i]->pipeline);
        rd_.compute_list_bind_uniform_set(list_, resolved[i]->uniform_set, 0);
        std::memcpy(push, &c.push, sizeof(Push));
        rd_.compute_list_set_push_constant(list_, push_bytes_, int64_t(sizeof(Push)));
        rd_.compute_list_dispatch(list_, c.groups[0], c.groups[1], c.groups[2]);
        // Every call may read what the previous one wrote (one arena): order them.
        rd_.compute_list_add_barrier(list_);
        if (profile_calls_each_) {
            const auto start = std::chrono::steady_clock::now();
            do_flush();
            profile_ms_[size_t(c.kernel)] +=
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
            profile_calls_[size_t(c.kernel)] += 1;
            if (i + 1 < n) list_ = rd_.compute_list_begin();
        }
    }
}

void RdBackend::do_flush() {
    OpTimer timer{this, OP_FLUSH};
    if (list_ >= 0) {
        rd_.compute_list_end();
        list_ = -1;
    }
    rd_.submit();
    rd_.sync();
}

}  // namespace lk
