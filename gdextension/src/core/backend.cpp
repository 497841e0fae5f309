#include "core/backend.hpp"

#include <algorithm>
#include <chrono>

namespace lk {

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

void Backend::fail(const std::string& message) {
    if (error_.empty()) error_ = message;
}

bool Backend::in_range(const char* what, size_t off, size_t n, size_t cap) {
    if (off <= cap && n <= cap - off) return true;
    fail(std::string(what) + " of " + std::to_string(n) + " elements at " + std::to_string(off) +
         " is outside the arena of " + std::to_string(cap) + " (reserve() first)");
    return false;
}

bool Backend::reserve(size_t floats, size_t uints, std::string* err) {
    // Shrink an arena far larger than needed: on Godot's RenderingDevice every upload and readback costs in
    // proportion to the whole buffer, not the bytes moved (measured on an H100: a 4-byte readback took 67 ms
    // from a 320 MB arena left by a big GEMM, 0.7 ms from a small one). Keep up to 4x (and 16 MB) of slack so
    // alternating sizes do not reallocate every call.
    constexpr size_t kSlackFloats = size_t(4) << 20;
    const bool oversized = float_cap_ > kSlackFloats && float_cap_ > 4 * floats;
    if (floats > max_floats() || uints > max_floats()) {
        if (err) {
            *err = "the " + name() + " backend would need an arena of " + std::to_string(floats) + " floats (" +
                   std::to_string((uint64_t(floats) * 4) >> 20) + " MiB), more than it can address (" +
                   std::to_string((uint64_t(max_floats()) * 4) >> 20) + " MiB): use smaller batches or fewer rows";
        }
        return false;
    }
    if (floats <= float_cap_ && uints <= uint_cap_ && !oversized) return true;
    flush();  // a GPU backend replaces its buffers; queued calls must not refer to the old ones
    if (!oversized) {
        floats = std::max(floats, float_cap_);
        uints = std::max(uints, uint_cap_);
    }
    std::string e;
    if (!do_reserve(floats, uints, &e)) {
        if (err) *err = e.empty() ? "could not allocate " + std::to_string(floats) + " floats on " + name() : e;
        return false;
    }
    float_cap_ = floats;
    uint_cap_ = uints;
    ++epoch_;
    return true;
}

void Backend::upload(size_t off, const float* src, size_t n) {
    if (n == 0 || !in_range("upload", off, n, float_cap_)) return;
    flush();
    do_upload(off, src, n);
    ++stats_.uploads;
    ++epoch_;
}

void Backend::upload_indices(size_t off, const uint32_t* src, size_t n) {
    if (n == 0 || !in_range("index upload", off, n, uint_cap_)) return;
    flush();
    do_upload_indices(off, src, n);
    ++stats_.uploads;
    ++epoch_;
}

void Backend::download(size_t off, float* dst, size_t n) {
    if (n == 0 || !in_range("download", off, n, float_cap_)) return;
    flush();
    do_download(off, dst, n);
    ++stats_.readbacks;
}

void Backend::run(const KernelCall* calls, size_t n) {
    if (n == 0) return;
    const auto t0 = std::chrono::steady_clock::now();
    do_run(calls, n);
    stats_.record_ms += ms_since(t0);
    stats_.kernel_calls += n;
    pending_ += n;
    ++epoch_;
}

void Backend::flush() {
    if (pending_ == 0) return;
    const auto t0 = std::chrono::steady_clock::now();
    do_flush();
    stats_.flush_ms += ms_since(t0);
    ++stats_.submits;
    pending_ = 0;
}

}  // namespace lk
