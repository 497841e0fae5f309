// The reference backend: arenas are std::vectors and every call runs at once through the generated run_cpu.
// Every GPU kernel is tested against it. Single-threaded on purpose: it must be simple enough to trust, and
// small networks (where the CPU wins, see prefer_gpu) gain little from threads.
#pragma once
#include <vector>

#include "core/backend.hpp"

namespace lk {

class CpuBackend final : public Backend {
public:
    std::string name() const override { return "cpu"; }
    std::string device_name() const override { return "host CPU (single thread)"; }

    // Direct access for tests and for the CPU-only fast paths of the API layer.
    const std::vector<float>& arena() const { return arena_; }
    const std::vector<uint32_t>& iarena() const { return iarena_; }

protected:
    bool do_reserve(size_t floats, size_t uints, std::string* err) override;
    void do_upload(size_t off, const float* src, size_t n) override;
    void do_upload_indices(size_t off, const uint32_t* src, size_t n) override;
    void do_download(size_t off, float* dst, size_t n) override;
    void do_run(const KernelCall* calls, size_t n) override;
    void do_flush() override {}

private:
    std::vector<float> arena_;
    std::vector<uint32_t> iarena_;
};

}  // namespace lk
