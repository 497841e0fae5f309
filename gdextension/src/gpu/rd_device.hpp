// RdDevice: one RenderingDevice, the compute pipelines compiled for it, and profiling. Sessions' backends
// (RdBackend, one arena each) run on a device; make_gpu_backend() is the factory the API layer calls.
//
// ## Godot's thread rules for RenderingDevice (4.5/4.6; read in 4.6.3's source, checked by experiment)
// 1. Every RenderingDevice, local ones included, is bound to ONE thread: the constructor stores
//    `render_thread_id = Thread::get_caller_id()` (servers/rendering/rendering_device.cpp, ~line 8433), and
//    ERR_RENDER_THREAD_GUARD refuses every other thread with "This function (X) can only be called from the
//    render thread." (an error print, then an early return: no crash, no work done). Guarded in 4.6.3:
//    compute_list_*, buffer_update/get_data/copy/clear, texture_update/get_data, submit, sync, free_rid,
//    get_driver_resource, timestamps and finalize. Not guarded: storage_buffer_create, shader_create_*,
//    uniform_set_create, compute_pipeline_create (they take the device's own mutex instead).
//    `make_current()`, which would re-bind a device, is not exposed to scripts or extensions.
//    The guards are deliberate (godot#90400, the design they come from; godot#98284 comment by the author:
//    "the thread creating the device will be the one assigned exclusive access").
//    => Our own mutex does NOT make cross-thread use legal: the check is on the thread id, not on a lock.
//    This guard is where "the GPU backend refuses a second thread" came from: our old process-wide
//    RdBackend was bound to whichever thread made it (verified: a GDScript Thread's fit on a device the main
//    thread created printed the guard errors for compute_list_begin, submit, sync, buffer_update...).
// 2. `RenderingServer.create_local_rendering_device()` may be called from any thread: neither it nor
//    `RenderingDevice::create_local_device()` is guarded, and the new device is bound to the calling thread.
//    Verified: a device created on a GDScript Thread (and on our own std::thread, see RdDevice) compiles,
//    dispatches, submits, syncs and reads back correctly there; two threads, each with its own local
//    device, ran at the same time with correct results.
// 3. Freeing: `~RenderingDevice()` calls finalize(), which is guarded. Freed from another thread, finalize
//    returns early with "This function (finalize) can only be called from the render thread." and the
//    device's VkDevice, buffers and pipelines are leaked (verified; the same error at engine shutdown is
//    godot#119000). A device whose thread has exited can never be freed nor used again (thread ids are
//    never reused: Thread::id_counter). Free RIDs before the device (godot#71003); freeing a shader frees
//    its pipelines and uniform sets, and freeing a buffer its uniform sets, so never free those again
//    (godot#103073). Godot's own RIDs that an unfreed device still holds are reported as leaked at exit.
// 4. submit()/sync() only exist on local devices ("Only local devices can submit and sync."); the main
//    device (RenderingServer.get_rendering_device(), the one that draws frames and the only one whose
//    textures Texture2DRD can show: godot#104489) belongs to the render thread, reached from other threads
//    through RenderingServer.call_on_render_thread().
// 5. Thread ids: Thread::get_caller_id() is a thread_local initialised from a global counter on first use,
//    so threads Godot did not create (our std::thread) get a unique id too (core/os/thread.cpp).
//
// ## Our policy, from those rules
// One device for the process, owned by a thread of ours (Mode::OWN_THREAD): the local RenderingDevice is
// created, used and freed on that thread only, so rules 1 and 3 always hold, whoever calls. Backends on any
// thread (a GDScript Thread, WorkerThreadPool, the main thread) hand their work to it with execute(), which
// blocks the caller until it is done; work from several threads is serialised there (one GPU queue anyway).
// Compared with a device per calling thread, this compiles every pipeline once, never leaks a device whose
// thread ended (rule 3), never migrates a session's arena between devices, and shuts down deterministically:
// shutdown_gpu() (extension deinit, main thread) frees every backend's buffers, then the pipelines, then the
// device, on the device's thread, and joins it.
//
// Seam for later: Mode::MAIN_RENDER_THREAD (the frame's device, needed for Texture2DRD) would keep this same
// interface with execute() sending the job through RenderingServer.call_on_render_thread() (or running it in
// place when already on the render thread) and flush() not calling submit()/sync() (rule 4). Not built yet.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/backend.hpp"
#include "gd_classes.hpp"

namespace lk {

class RdBackend;
struct SpirvEntry;

class RdDevice {
public:
    enum class Mode {
        OWN_THREAD,          // a local RenderingDevice on a thread of ours (the only mode implemented)
        MAIN_RENDER_THREAD,  // reserved: the main RenderingDevice via call_on_render_thread (see above)
    };

    // nullptr (and *err says why) when Godot has no RenderingDevice (headless, Compatibility renderer).
    static std::shared_ptr<RdDevice> create(Mode mode, std::string* err);
    ~RdDevice();  // shutdown()
    RdDevice(const RdDevice&) = delete;
    RdDevice& operator=(const RdDevice&) = delete;

    Mode mode() const { return mode_; }
    const std::string& name() const { return name_; }
    const std::string& vendor() const { return vendor_; }

    // Runs fn with exclusive use of the RenderingDevice, on the device's thread; blocks until it returned.
    // False (fn not run) once the device is shut down. Callable from any thread, concurrently.
    bool execute(const std::function<void(gd::RenderingDevice& rd)>& fn);
    // Frees every attached backend's buffers, the pipelines and the device, then stops the thread.
    // Idempotent; afterwards execute() returns false.
    void shutdown();

    // --- Only inside execute() (on the device's thread). ---
    struct Pipeline {
        gd::RID shader, pipeline;
        bool failed = false;
    };
    // The pipeline of a kernel, created on first use from the kernel's build-time SPIR-V (gpu/spirv_table.hpp;
    // from its GLSL only if the library has none for it); nullptr and *err when it cannot be built.
    // warming: created by warm-up (LearnKit.warm_up), not by a call that needed it (see Stats).
    const Pipeline* pipeline(Kernel kernel, std::string* err, bool warming = false);
    // A shader compiled from GLSL source at run time (glslang inside Godot: milliseconds to a second), for
    // kernels that do not exist at build time. Invalid RID and *err on failure; counted in Stats.
    gd::RID compile_glsl(const std::string& name, const std::string& glsl, std::string* err);
    // The pipeline of a run-time custom activation kernel (core/custom_activation.hpp), compiled from its GLSL;
    // cached by kernel id, which names one immutable definition (a replaced activation gets new ids).
    const Pipeline* custom_pipeline(Kernel kernel, std::string* err, bool warming);
    void attach(RdBackend* backend);  // backends release their RIDs through release_on_device() at shutdown
    void detach(RdBackend* backend);

    // LEARNKIT_PROFILE=1: backends submit and wait after every call and add its wall time here (slow, but it
    // tells which kernel dominates); LEARNKIT_PROFILE=ops: time uploads, downloads, reserves and flushes only.
    // Printed when the device shuts down. Only inside execute().
    enum Op { OP_RESERVE, OP_UPLOAD, OP_UPLOAD_INDICES, OP_DOWNLOAD, OP_FLUSH, OP_COUNT };
    bool profiling() const { return profile_; }
    bool profile_each_call() const { return profile_each_call_; }
    void add_kernel_time(Kernel kernel, double ms);
    void add_op_time(Op op, double ms);

    // Pipeline counters since the device was created; readable from any thread (LearnKit.get_device_info()).
    struct Stats {
        uint64_t shaders_from_spirv = 0;  // shaders created from build-time SPIR-V
        uint64_t shaders_from_glsl = 0;   // shaders compiled from GLSL at run time
        uint64_t pipelines_warmed = 0;    // pipelines created by warm-up
        uint64_t pipelines_on_demand = 0; // pipelines created by the first call that needed them
        uint64_t custom_pipelines = 0;    // of those, pipelines of custom activations (GLSL at run time)
        double pipeline_ms = 0.0;         // time spent creating shaders and pipelines
        double device_ms = 0.0;           // create_local_rendering_device() (see gpu/gpu_startup.hpp for why it matters)
    };
    Stats stats() const;

private:
    struct Job {
        const std::function<void(gd::RenderingDevice&)>* fn;
        bool done = false;
    };
    explicit RdDevice(Mode mode);
    void thread_main();
    void print_profile() const;

    const Mode mode_;
    std::string name_, vendor_;
    std::thread thread_;
    std::thread::id thread_id_;  // set before create() returns, then read-only
    std::mutex mutex_;
    std::condition_variable work_cv_, done_cv_;
    std::deque<Job*> queue_;
    bool started_ = false, stopping_ = false, stopped_ = false;
    std::string start_error_;

    // Owned by the device thread.
    gd::RenderingDevice rd_;
    std::vector<Pipeline> pipelines_;
    std::vector<const SpirvEntry*> spirv_;  // per kernel; nullptr: compile its GLSL
    mutable std::mutex stats_mutex_;
    Stats stats_;
    std::unordered_map<uint16_t, Pipeline> custom_pipelines_;  // run-time custom activations, by kernel id
    std::vector<RdBackend*> backends_;
    bool profile_ = false, profile_each_call_ = false;
    std::vector<double> kernel_ms_;
    std::vector<uint64_t> kernel_calls_;
    double op_ms_[OP_COUNT] = {};
    uint64_t op_calls_[OP_COUNT] = {};
};

// --- The factory the API layer calls. All of it is safe from any thread. ---
// A new backend with its own (empty) arena on the process's GPU device, created on first use; nullptr and
// *err when there is no GPU.
std::unique_ptr<Backend> make_gpu_backend(std::string* err);
// The process's GPU device (creating it on first call: blocks the caller until it exists); nullptr and *reason
// when there is none.
std::shared_ptr<RdDevice> gpu_device(std::string* reason);
// Pipeline counters of the GPU device; false (stats untouched) when it has not been created.
bool gpu_stats(RdDevice::Stats* stats);
// Whether a GPU device exists (creating it on first call); *reason says why not.
bool gpu_available(std::string* reason);
std::string gpu_device_name();  // "" without a GPU
std::string gpu_vendor();
// What get_device_info() reports, without creating the device when none exists yet (creating one stalls the
// process's other GPU work for ~200 ms on NVIDIA: api/gpu_startup.hpp). Before the first device, Godot's main
// RenderingDevice answers: a local device is made from the same context and physical device. Returns whether a
// GPU device exists or can be made; name and vendor when it can, reason when it cannot.
bool gpu_probe(std::string* name, std::string* vendor, std::string* reason);
// Frees the device and everything on it (extension deinit). Backends still alive afterwards fail their
// operations with an error instead of touching the freed device; a later make_gpu_backend() starts anew.
void shutdown_gpu();

}  // namespace lk
