// Whether training a network is worth a GPU. Every GPU submit costs a round trip of ~50-500 us (record,
// submit, wait, map the readback) and every dispatch a few us, whatever its size; the CPU backend has no such
// cost but does the arithmetic on one core at ~1-2 GMAC/s. The trainer already puts >= 64 steps in a submit,
// so what is left per step is ~15-25 dispatches of fixed cost against the CPU doing the step's arithmetic.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lk {

class Model;

// Forward multiply-adds of one step (batch rows x sum of in*out over dense layers) from which the GPU wins.
// Backward costs ~2x forward on both sides, so it does not move the crossover. At 2M MACs a CPU step takes
// ~3-6 ms against ~0.1-0.3 ms of dispatch overhead: clearly the GPU; below ~200k the two are within a small
// factor and the CPU has no start-up cost (pipelines, uploads), so it is preferred. Re-measure with the GPU
// backend's benchmark and move this constant if the crossover lands elsewhere.
constexpr uint64_t kGpuMinMacsPerStep = 2u << 20;

uint64_t forward_macs_per_step(const Model& net, size_t batch_rows);
bool prefer_gpu(const Model& net, size_t batch_rows);

}  // namespace lk
