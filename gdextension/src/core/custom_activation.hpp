// Custom activations registered at run time (LearnKit.register_activation): an elementwise activation given
// as two expressions of the spec dialect (forward of x and the parameters; derivative of x, y and the
// parameters), usable by name wherever a catalogue activation is (the `activation` op falls back to this
// registry for a name the catalogue does not know).
//
// - CPU: each expression is compiled once (core/expr.hpp) and evaluated over blocks of values.
// - GPU: the act_forward / act_backward kernels are the built-in families' templates rendered by the generator
//   with placeholders (kernels/custom_act.hpp), into which the expressions are spliced; the GPU device
//   compiles them from GLSL at first use, like any kernel without precompiled SPIR-V.
// - Kernel ids: kCustomKernelBase + 2 * id (+ 1 for the backward), beyond every generated Kernel; their push
//   constants are those of the act_forward / act_backward families (slot::act_forward, slot::act_backward).
// - The planner never fuses them (the op does not report an activation): they run as their own kernels.
//
// Registrations are versioned, immutable definitions: each register_activation() (a new name, or replace = true
// on a registered one) makes a new entry with its own id, so its kernel ids, the GPU pipelines cached by kernel
// id and every plan that refers to them never see a different definition. The registry maps each name to its
// current entry; replacing re-points the name, unregistering drops it. Ops hold the entry they were built with,
// so existing networks keep computing with it; only a network built (or loaded) afterwards sees the change.
// Entries are never freed (a few KB each, at most kMaxCustomActivations per process): a plan or pipeline that
// refers to an id stays valid for the life of the process, whatever thread runs it. Process-wide, thread-safe.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/expr.hpp"
#include "core/op.hpp"

namespace lk {

struct CustomActivation {
    uint32_t id = 0;       // index of this definition among every registration of the process
    uint32_t version = 1;  // 1 for a name's first registration, + 1 at each later one (replaced or re-registered)
    std::string name;
    std::vector<std::string> param_names;  // at most ACT_PARAM_SLOTS, in push-constant slot order
    ActParams defaults;
    std::string forward, derivative;       // as given
    expr::Program forward_program;         // over x; the parameters as scalars
    expr::Program derivative_program;      // over x, y; the parameters as scalars
    std::string glsl_forward, glsl_backward;  // complete compute shaders
};

constexpr uint16_t kCustomKernelBase = 0x8000;
constexpr uint32_t kMaxCustomActivations = (0x10000u - kCustomKernelBase) / 2;

inline bool is_custom_kernel(Kernel k) { return uint16_t(k) >= kCustomKernelBase; }
inline Kernel custom_kernel(uint32_t id, bool backward) {
    return Kernel(uint16_t(kCustomKernelBase + 2 * id + (backward ? 1 : 0)));
}

// Registers an activation; "" on success, else the message (naming the bad token, name or parameter) and
// nothing changes. params: name -> default, in slot order. A registered name is refused unless `replace`:
// then the name points to the new definition (same place in the list, the next version).
std::string register_custom_activation(const std::string& name, const std::string& forward,
                                       const std::string& derivative,
                                       const std::vector<std::pair<std::string, double>>& params,
                                       bool replace = false);
// Drops a name from the registry; "" on success, else why (a built-in name, or not registered: the message
// lists what is). Networks built with it keep their definition.
std::string unregister_custom_activation(const std::string& name);
// The current definition of a name; nullptr when no custom activation has that name.
const CustomActivation* find_custom_activation(const std::string& name);
std::vector<std::string> custom_activation_names();  // the registered names, in registration order
// The forward and backward kernels of every registered (current) definition, for the GPU warm-up.
std::vector<Kernel> custom_activation_kernels();

// The CPU backend's execution of a custom kernel call.
void run_custom_cpu(const KernelCall& call, float* arena);
// The GPU backend's source of a custom kernel: the shader's GLSL and a name for messages; false when the id
// is unknown.
bool custom_kernel_source(Kernel kernel, std::string* glsl, std::string* name);

// The `activation` op's factory for a name the catalogue does not know: nullptr and *err (naming the name and
// what exists) unless it is registered.
std::unique_ptr<Op> make_custom_activation_op(const std::string& name, AttrReader& reader, std::string* err);

}  // namespace lk
