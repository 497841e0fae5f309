// The GPU backend: a local RenderingDevice (its own queue, so submit/sync are ours to call, and no frame of
// the game waits on training). Arenas are two storage buffers; every kernel is a compute pipeline compiled
// once from the generated GLSL; run() records dispatches into one open compute list with a barrier after each
// (every call may read what the previous one wrote), flush() ends the list, submits and waits.
#pragma once
#include <memory>
#include <vector>

#include "core/backend.hpp"
#include "gd_classes.hpp"

namespace lk {

class RdBackend final : public Backend {
public:
    // nullptr (and *err says why) when this Godot has no RenderingDevice: headless, Compatibility renderer.
    static std::unique_ptr<RdBackend> create(std::string* err);
    ~RdBackend() override;

    std::string name() const override { return "gpu"; }
    std::string device_name() const override { return device_name_; }
    const std::string& vendor() const { return vendor_; }

protected:
    bool do_reserve(size_t floats, size_t uints, std::string* err) override;
    void do_upload(size_t off, const float* src, size_t n) override;
    void do_upload_indices(size_t off, const uint32_t* src, size_t n) override;
    void do_download(size_t off, float* dst, size_t n) override;
    void do_run(const KernelCall* calls, size_t n) override;
    void do_flush() override;

private:
    struct Pipeline {
        gd::RID shader, pipeline, uniform_set;
        bool failed = false;
    };
    explicit RdBackend(gd::RenderingDevice rd);
    Pipeline* pipeline(Kernel kernel);
    bool compile(Kernel kernel, Pipeline* p);
    gd::RID make_uniform_set(gd::RID shader);

    gd::RenderingDevice rd_;
    std::string device_name_, vendor_;
    gd::RID arena_, iarena_;
    std::vector<Pipeline> pipelines_;
    int64_t list_ = -1;               // open compute list id, -1 when none
    gd::PackedByteArray push_bytes_;  // reused for every push constant (no allocation per dispatch)

    // LEARNKIT_PROFILE=1: submit and wait after every call, and print the wall time per kernel at exit.
    // Slow (a round trip per call) but it tells which kernel dominates on a given GPU.
    // LEARNKIT_PROFILE=ops: only time uploads, downloads, reserves and flushes (no extra round trips).
    bool profile_ = false, profile_calls_each_ = false;
    std::vector<double> profile_ms_;
    std::vector<uint64_t> profile_calls_;
    enum Op { OP_RESERVE, OP_UPLOAD, OP_UPLOAD_INDICES, OP_DOWNLOAD, OP_FLUSH, OP_COUNT };
    double op_ms_[OP_COUNT] = {};
    uint64_t op_calls_[OP_COUNT] = {};
    struct OpTimer;  // adds the scope's wall time to op_ms_ when profiling
};

}  // namespace lk
