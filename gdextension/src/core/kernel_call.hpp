// One kernel invocation, the unit both backends execute. The trainer and the network build lists of these
// (a "plan"); the CPU backend runs each call at once, the GPU backend records it into one compute list.
// Every kernel, on both backends, works on the same two flat arrays ("arenas") owned by the backend:
//   arena  : float[]    parameters, gradients, optimizer state, data, activations, scratch, loss slots
//   iarena : uint32[]   row permutations (batch gathering)
// Offsets in Push are element offsets into those arrays. On the GPU they are storage buffers at set 0,
// binding 0 (arena) and binding 1 (iarena), and Push is the shader's push-constant block.
#pragma once
#include <cstdint>

namespace lk {

// 128 bytes: the push-constant size every Vulkan device guarantees. The kernel builders (core/kernel_builders.hpp,
// with the generated slot names of kernels/kernel_slots.hpp) fill it; nothing else indexes u[] or f[] directly.
struct Push {
    uint32_t u[16] = {};
    float f[16] = {};
};
static_assert(sizeof(Push) == 128, "Push must match the GLSL push-constant block");

enum class Kernel : uint16_t;  // generated: one id per kernel variant

struct KernelCall {
    Kernel kernel{};
    uint32_t groups[3] = {1, 1, 1};  // workgroup counts for the GPU dispatch
    Push push;
};

}  // namespace lk
