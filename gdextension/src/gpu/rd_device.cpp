#include "gpu/rd_device.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "core/custom_activation.hpp"
#include "gpu/rd_backend.hpp"
#include "gpu/spirv_table.hpp"
#include "gpu/warm_up.hpp"
#include "kernels/kernels.hpp"

namespace lk {

namespace {
constexpr int64_t kCompressionDeflate = 1;  // FileAccess.COMPRESSION_DEFLATE (gpu/spirv_table.hpp)
// godot#68884: no RenderingDevice under --headless or the Compatibility (OpenGL) renderer.
constexpr const char* kNoRenderingDevice = "no RenderingDevice (Godot runs headless or with the Compatibility "
                                           "renderer; Vulkan/D3D12/Metal is needed for the GPU backend)";
}  // namespace

std::shared_ptr<RdDevice> RdDevice::create(Mode mode, std::string* err) {
    if (mode != Mode::OWN_THREAD) {
        *err = "the GPU mode on the main RenderingDevice is not implemented yet";
        return nullptr;
    }
    std::shared_ptr<RdDevice> device(new RdDevice(mode));
    device->thread_ = std::thread([d = device.get()] { d->thread_main(); });
    std::unique_lock<std::mutex> lock(device->mutex_);
    device->done_cv_.wait(lock, [&] { return device->started_; });
    if (!device->start_error_.empty()) {
        *err = device->start_error_;
        lock.unlock();
        device->shutdown();
        return nullptr;
    }
    return device;
}

RdDevice::RdDevice(Mode mode) : mode_(mode) {
    pipelines_.resize(KERNEL_COUNT);
    size_t n = 0;
    const SpirvEntry* entries = spirv_entries(&n);
    std::unordered_map<std::string, const SpirvEntry*> by_name;
    for (size_t i = 0; i < n; ++i) by_name.emplace(entries[i].kernel, &entries[i]);
    spirv_.assign(KERNEL_COUNT, nullptr);
    // LEARNKIT_GPU_SHADERS=glsl: compile every kernel from its GLSL at run time, as before build-time SPIR-V
    // (the tests compare the two paths; also a way around a suspected SPIR-V build problem). Not in a release
    // build, which carries no GLSL.
    const char* shaders = std::getenv("LEARNKIT_GPU_SHADERS");
    const bool glsl_only = shaders && std::string(shaders) == "glsl" && KERNEL_COUNT && kernel_info(Kernel(0)).glsl_source;
    for (uint32_t k = 0; k < KERNEL_COUNT && !glsl_only; ++k) {
        auto it = by_name.find(kernel_info(Kernel(k)).name);
        if (it != by_name.end()) spirv_[k] = it->second;
    }
    kernel_ms_.assign(KERNEL_COUNT, 0.0);
    kernel_calls_.assign(KERNEL_COUNT, 0);
    const char* profile = std::getenv("LEARNKIT_PROFILE");
    profile_ = profile && (std::string(profile) == "1" || std::string(profile) == "ops");
    profile_each_call_ = profile && std::string(profile) == "1";
}

RdDevice::~RdDevice() { shutdown(); }

void RdDevice::thread_main() {
    // Rule 2 (see the header): the device is bound to the thread that creates it, this one.
    thread_id_ = std::this_thread::get_id();
    gd::RenderingServer rs = gd::RenderingServer::singleton();
    const auto t0 = std::chrono::steady_clock::now();
    rd_ = rs ? rs.create_local_rendering_device() : gd::RenderingDevice();
    {
        std::lock_guard<std::mutex> lock(stats_mutex_);
        stats_.device_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!rd_) {
            start_error_ = kNoRenderingDevice;
            stopped_ = true;
        } else {
            name_ = rd_.get_device_name().utf8();
            vendor_ = rd_.get_device_vendor_name().utf8();
        }
        started_ = true;
    }
    done_cv_.notify_all();
    if (!rd_) return;

    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) break;  // stopping, and every job queued before it has run
        Job* job = queue_.front();
        queue_.pop_front();
        lock.unlock();
        (*job->fn)(rd_);
        lock.lock();
        job->done = true;
        done_cv_.notify_all();
    }
    lock.unlock();

    // Teardown, on the device's own thread (rule 3). Buffers first (their uniform sets go with them), then
    // shaders (their pipelines go with them), then the device (godot#71003, godot#103073).
    for (RdBackend* backend : backends_) backend->release_on_device(rd_);
    backends_.clear();
    for (Pipeline& p : pipelines_) {
        if (p.shader.is_valid()) rd_.free_rid(p.shader);
        p = Pipeline{};
    }
    for (auto& kv : custom_pipelines_) {
        if (kv.second.shader.is_valid()) rd_.free_rid(kv.second.shader);
    }
    custom_pipelines_.clear();
    if (profile_) print_profile();
    gdx::object_destroy(rd_.ptr());
    rd_ = gd::RenderingDevice();
}

bool RdDevice::execute(const std::function<void(gd::RenderingDevice&)>& fn) {
    if (std::this_thread::get_id() == thread_id_) {  // a job that calls back in: run it in place
        fn(rd_);
        return true;
    }
    Job job{&fn};
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_ || stopped_) return false;
    queue_.push_back(&job);
    work_cv_.notify_one();
    done_cv_.wait(lock, [&] { return job.done; });
    return true;
}

void RdDevice::shutdown() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopped_ && !thread_.joinable()) return;
        stopping_ = true;
    }
    work_cv_.notify_all();
    if (thread_.joinable() && std::this_thread::get_id() != thread_id_) thread_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
}

const RdDevice::Pipeline* RdDevice::pipeline(Kernel kernel, std::string* err, bool warming) {
    if (is_custom_kernel(kernel)) return custom_pipeline(kernel, err, warming);
    Pipeline& p = pipelines_[size_t(kernel)];
    const KernelInfo& info = kernel_info(kernel);
    if (p.failed) {
        *err = std::string("GPU kernel ") + info.name + " is unavailable (it failed to build earlier)";
        return nullptr;
    }
    if (p.pipeline.is_valid()) return &p;
    p.failed = true;  // until it is built
    const auto start = std::chrono::steady_clock::now();
    const SpirvEntry* spirv = spirv_[size_t(kernel)];
    if (spirv) {
        gd::PackedByteArray packed;
        packed.resize(int64_t(spirv->bytes));
        std::memcpy(packed.data(), spirv_pack() + spirv->offset, spirv->bytes);
        const int64_t size = int64_t(spirv->words) * 4;
        const gd::PackedByteArray bytes = packed.decompress(size, kCompressionDeflate);
        if (bytes.size() != size) {
            *err = std::string("GPU shader ") + info.name + " (build-time SPIR-V) did not inflate to its " +
                   std::to_string(size) + " bytes";
            return nullptr;
        }
        gd::Ref<gd::RDShaderSPIRV> code = gd::make_ref<gd::RDShaderSPIRV>();
        code->set_stage_bytecode(gd::RenderingDevice::SHADER_STAGE_COMPUTE, bytes);
        p.shader = rd_.shader_create_from_spirv(code, gd::String(info.name));
        if (!p.shader.is_valid()) {
            *err = std::string("GPU shader ") + info.name + " (build-time SPIR-V) was rejected by the device";
            return nullptr;
        }
    } else if (!info.glsl_source) {  // a release build without this kernel's SPIR-V: cannot happen from scons
        *err = std::string("GPU kernel ") + info.name + " has no build-time SPIR-V and this release build no GLSL";
        return nullptr;
    } else {
        p.shader = compile_glsl(info.name, info.glsl_source, err);
        if (!p.shader.is_valid()) return nullptr;
    }
    p.pipeline = rd_.compute_pipeline_create(p.shader, gd::Array());
    if (!p.pipeline.is_valid()) {
        *err = std::string("GPU pipeline ") + info.name + " could not be created";
        return nullptr;
    }
    p.failed = false;
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::lock_guard<std::mutex> lock(stats_mutex_);
    stats_.shaders_from_spirv += spirv ? 1 : 0;
    (warming ? stats_.pipelines_warmed : stats_.pipelines_on_demand) += 1;
    stats_.pipeline_ms += ms;
    return &p;
}

gd::RID RdDevice::compile_glsl(const std::string& name, const std::string& glsl, std::string* err) {
    const auto start = std::chrono::steady_clock::now();
    gd::Ref<gd::RDShaderSource> source = gd::make_ref<gd::RDShaderSource>();
    source->set_language(gd::RenderingDevice::SHADER_LANGUAGE_GLSL);
    source->set_stage_source(gd::RenderingDevice::SHADER_STAGE_COMPUTE, gd::String(glsl.c_str()));
    gd::Ref<gd::RDShaderSPIRV> spirv = rd_.shader_compile_spirv_from_source(source, false);
    {
        std::lock_guard<std::mutex> lock(stats_mutex_);
        stats_.shaders_from_glsl += 1;
        stats_.pipeline_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    }
    if (!spirv) {
        *err = "GPU shader " + name + " did not compile";
        return gd::RID();
    }
    std::string log = spirv->get_stage_compile_error(gd::RenderingDevice::SHADER_STAGE_COMPUTE).utf8();
    if (!log.empty()) {
        *err = "GPU shader " + name + " did not compile: " + log;
        return gd::RID();
    }
    gd::RID shader = rd_.shader_create_from_spirv(spirv, gd::String(name.c_str()));
    if (!shader.is_valid()) *err = "GPU shader " + name + " was rejected by the device";
    return shader;
}

RdDevice::Stats RdDevice::stats() const {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    return stats_;
}

const RdDevice::Pipeline* RdDevice::custom_pipeline(Kernel kernel, std::string* err, bool warming) {
    Pipeline& p = custom_pipelines_[uint16_t(kernel)];  // a run-time custom activation: GLSL from the registry
    if (p.pipeline.is_valid()) return &p;
    std::string glsl, name = "of a custom activation";
    if (p.failed || !custom_kernel_source(kernel, &glsl, &name)) {
        *err = "GPU kernel " + name + " is unavailable" + (p.failed ? " (it failed to build earlier)" : "");
        return nullptr;
    }
    p.failed = true;  // until it is built
    p.shader = compile_glsl(name, glsl, err);
    if (!p.shader.is_valid()) return nullptr;
    p.pipeline = rd_.compute_pipeline_create(p.shader, gd::Array());
    if (!p.pipeline.is_valid()) {
        *err = "GPU pipeline " + name + " could not be created";
        return nullptr;
    }
    p.failed = false;
    std::lock_guard<std::mutex> lock(stats_mutex_);  // compile_glsl counted the shader and its time
    (warming ? stats_.pipelines_warmed : stats_.pipelines_on_demand) += 1;
    stats_.custom_pipelines += 1;
    return &p;
}

void RdDevice::attach(RdBackend* backend) { backends_.push_back(backend); }

void RdDevice::detach(RdBackend* backend) {
    for (size_t i = 0; i < backends_.size(); ++i) {
        if (backends_[i] == backend) {
            backends_[i] = backends_.back();
            backends_.pop_back();
            return;
        }
    }
}

void RdDevice::add_kernel_time(Kernel kernel, double ms) {
    if (size_t(kernel) >= kernel_ms_.size()) return;  // custom activations are not profiled per kernel
    kernel_ms_[size_t(kernel)] += ms;
    kernel_calls_[size_t(kernel)] += 1;
}

void RdDevice::add_op_time(Op op, double ms) {
    op_ms_[op] += ms;
    op_calls_[op] += 1;
}

void RdDevice::print_profile() const {
    std::printf("LearnKit GPU profile (%s): kernel, calls, total ms, us per call\n", name_.c_str());
    for (uint32_t k = 0; k < KERNEL_COUNT; ++k) {
        if (!kernel_calls_[k]) continue;
        std::printf("  %-40s %8llu %10.3f %10.2f\n", kernel_info(Kernel(k)).name,
                    (unsigned long long)kernel_calls_[k], kernel_ms_[k], 1000.0 * kernel_ms_[k] / double(kernel_calls_[k]));
    }
    const char* names[OP_COUNT] = {"reserve", "upload", "upload_indices", "download", "flush"};
    for (int op = 0; op < OP_COUNT; ++op) {
        std::printf("  [%-38s] %8llu %10.3f %10.2f\n", names[op], (unsigned long long)op_calls_[op], op_ms_[op],
                    op_calls_[op] ? 1000.0 * op_ms_[op] / double(op_calls_[op]) : 0.0);
    }
    std::fflush(stdout);
}

// --- Factory ---

namespace {
std::mutex g_mutex;
std::shared_ptr<RdDevice> g_device;
bool g_tried = false;
std::string g_reason;

std::shared_ptr<RdDevice> device_locked() {  // with g_mutex held
    if (!g_tried) {
        g_tried = true;
        g_device = RdDevice::create(RdDevice::Mode::OWN_THREAD, &g_reason);
    }
    return g_device;
}
}  // namespace

std::unique_ptr<Backend> make_gpu_backend(std::string* err) {
    std::shared_ptr<RdDevice> device;
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        device = device_locked();
        if (!device) {
            *err = g_reason;
            return nullptr;
        }
    }
    return std::make_unique<RdBackend>(std::move(device));
}

std::shared_ptr<RdDevice> gpu_device(std::string* reason) {
    std::lock_guard<std::mutex> lock(g_mutex);
    std::shared_ptr<RdDevice> device = device_locked();
    if (!device && reason) *reason = g_reason;
    return device;
}

bool gpu_stats(RdDevice::Stats* stats) {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_device) return false;
    *stats = g_device->stats();
    return true;
}

bool gpu_available(std::string* reason) {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (device_locked()) return true;
    if (reason) *reason = g_reason;
    return false;
}

std::string gpu_device_name() {
    std::lock_guard<std::mutex> lock(g_mutex);
    return device_locked() ? g_device->name() : std::string();
}

std::string gpu_vendor() {
    std::lock_guard<std::mutex> lock(g_mutex);
    return device_locked() ? g_device->vendor() : std::string();
}

bool gpu_probe(std::string* name, std::string* vendor, std::string* reason) {
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        if (g_tried) {  // a device was asked for: it is what exists (or why it does not)
            if (!g_device) {
                *reason = g_reason;
                return false;
            }
            *name = g_device->name();
            *vendor = g_device->vendor();
            return true;
        }
    }
    gd::RenderingServer rs = gd::RenderingServer::singleton();
    gd::RenderingDevice main = rs ? rs.get_rendering_device() : gd::RenderingDevice();
    if (!main) {
        *reason = kNoRenderingDevice;
        return false;
    }
    *name = main.get_device_name().utf8();
    *vendor = main.get_device_vendor_name().utf8();
    return true;
}

void shutdown_gpu() {
    stop_warm_up();  // its thread uses the device
    std::shared_ptr<RdDevice> device;
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        device = std::move(g_device);
        g_device.reset();
        g_tried = false;
        g_reason.clear();
    }
    if (device) device->shutdown();
}

}  // namespace lk
