// A layer is one node of the network graph. It owns no memory: it declares how many parameters it has and
// records the kernel calls of its forward and backward passes into a plan, at arena offsets handed to it by
// ArenaLayout. New layer kinds (conv, recurrent, dropout, normalisation) subclass Layer; the network, the
// layout, the plan builders and both backends need no change as long as the layer's kernels exist.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/kernel_call.hpp"
#include "kernels/kernels.hpp"

namespace lk {

class Rng;

// Where one layer's tensors live in the arena (element offsets), filled in by ArenaLayout.
struct LayerSlots {
    uint32_t param = 0;  // this layer's parameters, inside the network's contiguous parameter block
    uint32_t grad = 0;   // its gradients, same layout, inside the contiguous gradient block
    uint32_t z = 0;      // pre-activation output, rows x output_width; kept for the backward pass
    uint32_t y = 0;      // activation output, rows x output_width; the next layer's input
};

// A layer's input as seen while planning. Besides where the values are, it says how they were produced, so a
// layer can fold the producer's activation derivative into its input gradient (one kernel instead of two).
struct InputRef {
    uint32_t y = 0;                          // input values, rows x input_width
    uint32_t z = 0;                          // the producer's pre-activation (only with has_producer)
    Activation act = Activation::IDENTITY;   // the producer's activation
    float alpha = 0.0f;
    bool has_producer = false;  // false for the network input: no gradient w.r.t. the data is wanted
};

// The plan being recorded: kernel calls are appended in execution order; each call may depend on any earlier one.
struct PlanCtx {
    std::vector<KernelCall>* calls = nullptr;
    uint32_t rows = 0;  // batch rows of this plan
    void emit(const KernelCall& call) { calls->push_back(call); }
};

class Layer {
public:
    virtual ~Layer() = default;

    virtual const char* type_name() const = 0;  // "dense"; used in messages and (later) serialisation
    virtual uint32_t input_width() const = 0;
    virtual uint32_t output_width() const = 0;
    virtual uint32_t param_count() const = 0;
    virtual Activation activation() const { return Activation::IDENTITY; }  // applied to this layer's output
    virtual float alpha() const { return 0.0f; }
    // Forward multiply-adds per batch row, for the CPU/GPU choice (device_choice.hpp). Dense: ~in*out.
    virtual uint64_t macs_per_row() const { return param_count(); }

    // "" when the layer's own settings are valid, else a message (the network prefixes the layer index).
    virtual std::string validate() const = 0;
    // Writes param_count() initial values in the layer's documented layout.
    virtual void init_params(float* params, Init init, Rng& rng) const = 0;
    virtual std::unique_ptr<Layer> clone() const = 0;

    // Records the forward pass: reads in.y, writes self.z and self.y.
    virtual void plan_forward(PlanCtx& ctx, const InputRef& in, const LayerSlots& self) const = 0;

    // Records the backward pass. `g` holds dL/dz of this layer (rows x output_width). Overwrites this layer's
    // parameter gradients at self.grad and, when in.has_producer, writes dL/dz of the producer into one of
    // the two gradient scratch buffers `g` or `spare` (each rows x the widest layer) and returns which.
    virtual uint32_t plan_backward(PlanCtx& ctx, const InputRef& in, const LayerSlots& self, uint32_t g,
                                   uint32_t spare) const = 0;
};

// Records out = g * f'(z, y) for any activation, given dL/dy in g (rows x width): act_backward for elementwise
// activations, softmax_backward for softmax. out may equal g (both kernels allow it).
void plan_activation_backward(PlanCtx& ctx, Activation act, float alpha, uint32_t z, uint32_t y, uint32_t g,
                              uint32_t out, uint32_t width);

}  // namespace lk
