// LearnKit.benchmark_gemm: times our fused dense-forward kernel alone, for GPU speed reports (tools/bench).
#include <chrono>

#include "api/backends.hpp"
#include "api/learnkit.hpp"
#include "core/kernel_builders.hpp"
#include "core/rng.hpp"
#include "core/session.hpp"
#include "godot/log.hpp"

namespace lk::api {

gd::Dictionary LearnKit::benchmark_gemm(int64_t rows, int64_t outputs, int64_t inputs, int64_t repeats,
                                        const gd::String& device) {
    const char* where = "benchmark_gemm";
    const int64_t limit = int64_t(1) << 14;
    if (rows <= 0 || outputs <= 0 || inputs <= 0 || rows > limit || outputs > limit || inputs > limit ||
        repeats <= 0 || repeats > 100000) {
        push_error(where, str("rows ", rows, ", outputs ", outputs, ", inputs ", inputs, ", repeats ", repeats,
                              ": expected sizes in [1, 16384] and repeats in [1, 100000]"));
        return gd::Dictionary();
    }
    const std::string d = device.utf8();
    Session session;  // its own arena, freed when the benchmark returns
    std::string why;
    Backend* backend = d == "cpu" || d == "gpu" ? session.backend(d == "gpu", &why) : nullptr;
    if (!backend) {
        push_error(where, str("device \"", d, "\" is not available: expected \"gpu\" (with a RenderingDevice) or \"cpu\""));
        return gd::Dictionary();
    }
    const size_t m = size_t(rows), n = size_t(outputs), k = size_t(inputs);
    const size_t x = 0, w = x + m * k, b = w + n * k, z = b + n, y = z + m * n, total = y + m * n;
    std::string err;
    if (!backend->reserve(total, 1, &err)) {
        push_error(where, err);
        return gd::Dictionary();
    }
    std::vector<float> data(y);
    Rng rng(7);
    for (float& v : data) v = float(rng.uniform() - 0.5);
    backend->upload(0, data.data(), data.size());
    const KernelCall call = kernels::dense_forward(Activation::IDENTITY, ActParams{}, uint32_t(x), uint32_t(w), uint32_t(b),
                                                   uint32_t(z), uint32_t(y), uint32_t(m), uint32_t(n), uint32_t(k));
    std::vector<KernelCall> calls(size_t(repeats), call);
    backend->run(&call, 1);  // warm-up: pipeline creation, first submit
    backend->flush();
    const auto start = std::chrono::steady_clock::now();
    backend->run(calls.data(), calls.size());
    backend->flush();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!backend->error().empty()) {
        push_error(where, backend->error());
        backend->clear_error();
        return gd::Dictionary();
    }
    const double per_call = ms / double(repeats);
    gd::Dictionary out;
    out[gd::Variant("ms_per_call")] = gd::Variant(per_call);
    out[gd::Variant("gflops")] = gd::Variant(2.0 * double(m) * double(n) * double(k) / (per_call * 1e6));
    out[gd::Variant("backend")] = gd::Variant(backend->name());
    out[gd::Variant("device_name")] = gd::Variant(backend->device_name());
    return out;
}

}  // namespace lk::api
