// GPU warm-up (LearnKit.warm_up): creates the GPU device and the compute pipelines of a set of kernels in the
// background, so that the first fit() or predict() on the GPU does not stop the caller (the main thread: a
// frame) while Godot and the driver build them. Shaders come from build-time SPIR-V (gpu/spirv_table.hpp);
// what is left at run time is the device and the driver's pipeline compile (SPIR-V to machine code), which on
// an H200 still cost most of the first fit's 0.33-1.2 s (issue 15).
//
// A warm-up thread of ours asks for the device (creating it blocks that thread, not the caller), then hands the
// device thread one pipeline per job (RdDevice::execute), so a fit that arrives meanwhile waits for one
// pipeline at most, not for the whole set. Everything here is safe from any thread.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "kernels/kernels.hpp"

namespace lk {

// "common": the kernels of dense networks with the usual activations (identity, relu, leaky_relu, sigmoid,
// tanh, softmax, gelu, silu, elu), losses (mse, mae, huber, bce, bce_with_logits, cce, nll) and optimizers (sgd,
// adam, adamw), plus every kernel that no catalogue entry selects (gather, copy, norms, dropout, ...);
// "all": every kernel. Either adds the forward and backward kernels of every custom activation registered at
// the time of the call (core/custom_activation.hpp). False for another name.
bool warm_up_kernels(const std::string& scope, std::vector<Kernel>* kernels);

enum class WarmUpState { IDLE, RUNNING, DONE, FAILED };
const char* warm_up_state_name(WarmUpState state);  // "idle", "running", "done", "failed"
WarmUpState warm_up_state();

// Called on the warm-up thread when the queue is empty: ok false when there is no GPU device or a pipeline
// failed (message says why); ms from the first start_warm_up() of this run.
using WarmUpDone = std::function<void(bool ok, const std::string& message, double ms)>;
// Queues kernels and starts the warm-up thread if it is not running; returns at once. A call while one runs
// adds its kernels to the same run; every caller's `done` runs at its end (not at all if stop_warm_up() ends it).
void start_warm_up(std::vector<Kernel> kernels, WarmUpDone done);
// Stops the warm-up after the pipeline it is building and joins its thread (shutdown_gpu calls it first).
void stop_warm_up();

}  // namespace lk
