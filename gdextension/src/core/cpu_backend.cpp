#include "core/cpu_backend.hpp"

#include <cstring>
#include <new>

#include "core/custom_activation.hpp"
#include "kernels/kernels.hpp"

namespace lk {

bool CpuBackend::do_reserve(size_t floats, size_t uints, std::string* err) {
    try {
        const bool shrink = floats < arena_.size();
        arena_.resize(floats);  // keeps contents; the interface does not require it
        iarena_.resize(uints);
        if (shrink) arena_.shrink_to_fit();
    } catch (const std::bad_alloc&) {
        *err = "out of host memory for an arena of " + std::to_string(floats) + " floats";
        return false;
    }
    return true;
}

void CpuBackend::do_upload(size_t off, const float* src, size_t n) {
    std::memcpy(arena_.data() + off, src, n * sizeof(float));
}

void CpuBackend::do_upload_indices(size_t off, const uint32_t* src, size_t n) {
    std::memcpy(iarena_.data() + off, src, n * sizeof(uint32_t));
}

void CpuBackend::do_download(size_t off, float* dst, size_t n) {
    std::memcpy(dst, arena_.data() + off, n * sizeof(float));
}

void CpuBackend::do_run(const KernelCall* calls, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        if (is_custom_kernel(calls[i].kernel)) {
            run_custom_cpu(calls[i], arena_.data());  // a run-time custom activation (core/custom_activation.hpp)
        } else {
            run_cpu(calls[i], arena_.data(), iarena_.data());
        }
    }
}

}  // namespace lk
