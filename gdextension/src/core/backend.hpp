// The device interface. A backend owns the two arenas (float arena[], uint32 iarena[]) and executes kernel
// calls on them; everything else (layouts, plans, the training loop) is backend-independent.
//
// Non-virtual public methods wrap small protected virtuals (the "NVI" pattern) so that bounds checks,
// ordering rules and the counters are implemented once, here, and are identical on every backend:
//   * run() only queues on the GPU; flush() submits and waits. Calls within and across run()s execute in
//     order, each seeing every earlier call's writes.
//   * upload() and download() first flush pending calls, so they are ordered after everything run before.
//     (The trainer never uploads mid-chunk anyway; this makes the rule impossible to break by accident.)
//   * download() is the only way data comes back and counts as one blocking readback.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/kernel_call.hpp"
#include "core/sizes.hpp"

namespace lk {

struct BackendStats {
    uint64_t submits = 0;       // flushes that had queued calls (GPU: one submit and wait each)
    uint64_t readbacks = 0;     // download() calls: blocking device-to-host copies
    uint64_t uploads = 0;       // upload() + upload_indices() calls
    uint64_t kernel_calls = 0;  // calls passed to run()
    double record_ms = 0.0;     // time inside run(): recording on the GPU, executing on the CPU
    double flush_ms = 0.0;      // time inside flush(): submit + wait on the GPU, nothing on the CPU
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string name() const = 0;         // short id: "cpu", "gpu"
    virtual std::string device_name() const = 0;  // human-readable, e.g. the GPU's name
    // The largest float arena this backend can address; reserve() refuses more with a message, before any
    // allocation or dispatch.
    virtual size_t max_floats() const { return size_t(kMaxFloats); }

    // Makes the arenas at least this large (and shrinks one far larger than needed, see backend.cpp).
    // Reallocating may discard their contents (callers re-upload; write_epoch() changes).
    bool reserve(size_t floats, size_t uints, std::string* err);
    size_t float_capacity() const { return float_cap_; }
    size_t uint_capacity() const { return uint_cap_; }

    void upload(size_t off, const float* src, size_t n);
    void upload_indices(size_t off, const uint32_t* src, size_t n);
    void download(size_t off, float* dst, size_t n);
    void run(const KernelCall* calls, size_t n);
    void flush();

    const BackendStats& stats() const { return stats_; }
    void reset_stats() { stats_ = BackendStats{}; }
    // Bumped by every reserve that grew, upload and run: a caller that remembers the value after its own last
    // operation knows, if it is unchanged, that nobody has touched the arenas since.
    uint64_t write_epoch() const { return epoch_; }
    // The first failure since clear_error() ("" if none): out-of-range access, device lost. Operations after
    // a failure still run (they are cheap to check); callers test error() at their sync points.
    const std::string& error() const { return error_; }
    void clear_error() { error_.clear(); }

protected:
    virtual bool do_reserve(size_t floats, size_t uints, std::string* err) = 0;  // grow or shrink
    virtual void do_upload(size_t off, const float* src, size_t n) = 0;       // never with calls pending
    virtual void do_upload_indices(size_t off, const uint32_t* src, size_t n) = 0;
    virtual void do_download(size_t off, float* dst, size_t n) = 0;           // never with calls pending
    virtual void do_run(const KernelCall* calls, size_t n) = 0;
    virtual void do_flush() = 0;                                              // only with calls pending
    void fail(const std::string& message);  // for implementations: records the first error

private:
    bool in_range(const char* what, size_t off, size_t n, size_t cap);

    size_t float_cap_ = 0, uint_cap_ = 0;
    size_t pending_ = 0;  // calls run since the last flush
    uint64_t epoch_ = 0;
    BackendStats stats_;
    std::string error_;
};

}  // namespace lk
