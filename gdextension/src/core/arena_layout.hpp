// Where everything lives in a session's two flat arrays, and how the planner fuses ops. One layout serves
// every plan of a call; it is a pure function of the model and a LayoutSpec, so the CPU and GPU backends see
// identical offsets.
//
// float arena, in this order (each region starts on a 64-float boundary):
//   params     P       all trainable parameters, contiguous (same layout as Model::params())
//   buffers    Q       all buffers (running statistics), contiguous (Model::buffers())
//   state      P*s     optimizer state, s = state_per_param (Adam: m then v, each P long)
//   loss       L       one mean-loss float per step of a submit chunk
//   grads      P       parameter gradients, same layout as params          (only with spec.grads)
//   partials   64      grad_sumsq partial sums for clipping                 (only with spec.grads)
//   data_x     N x in  the uploaded dataset                                 (only with data_rows)
//   data_t     N x out its targets
//   batch_x    B x in  the current batch = the graph's input tensor (gathered from data_x, or uploaded)
//   batch_t    B x out its targets                                          (only with spec.grads)
//   per tensor value   B x size, every op's output (kept from forward for backward)
//   per tensor grad    B x size, dL/d(tensor) where one is needed           (only with spec.grads)
//   per op scratch     what an op saves between forward and backward (batch statistics)
// uint arena:
//   perm       perm_count row indices (one or more epochs' permutations)
//
// Why this order: params, state and grads are each contiguous across all ops, so clipping and the optimizer
// update are one call each. params|buffers|state|loss are adjacent, so the end of fit() downloads the trained
// parameters, running statistics, optimizer state and the last chunk's losses in one readback; loss|grads are
// adjacent for the same reason in Session::gradients(). params and state sit at offsets that depend only on
// the model and the optimizer, never on batch or dataset size.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/model.hpp"

namespace lk {

struct LayoutSpec {
    uint32_t batch_rows = 0;       // B: the largest batch any plan of this call runs
    uint32_t data_rows = 0;        // N: rows of the dataset kept on the device (0: none)
    uint32_t loss_slots = 0;       // L
    uint32_t perm_count = 0;       // uint slots for row permutations
    uint32_t state_per_param = 0;  // optimizer state floats per parameter
    bool grads = false;            // training or gradients: gradients, targets and scratch needed
};

// The fusion pass's decisions (a plan optimisation; every fused path has an unfused twin giving the same
// numbers): which activation op each op applies in its own epilogue, which ops' input gradients fold in their
// producer's activation derivative, and which ops are then skipped.
struct Fusion {
    std::vector<int> fwd_act;        // per op: index of the activation op fused into its forward, or -1
    std::vector<bool> skip_forward;  // per op: done by its producer's fused kernel
    std::vector<int> bwd_fold;       // per op: index of the activation op folded into its input gradient, or -1
    std::vector<bool> fold_skips_backward;  // per op: its backward is folded into its consumer's
};

struct ArenaLayout {
    LayoutSpec spec;
    uint32_t param_count = 0, buffer_count = 0;
    uint32_t params = 0, buffers = 0, state = 0, loss = 0, grads = 0, partials = 0;
    uint32_t data_x = 0, data_t = 0, batch_x = 0, batch_t = 0;
    std::vector<uint32_t> value;                 // per tensor; value[0] == batch_x
    std::vector<uint32_t> grad;                  // per tensor, kNoSlot when no gradient is needed
    std::vector<uint32_t> scratch;               // per op, kNoSlot when none
    std::vector<std::vector<uint32_t>> param;    // per op, per param: its values (params or buffers region)
    std::vector<std::vector<uint32_t>> gparam;   // per op, per param: its gradient, kNoSlot for buffers
    Fusion fusion;
    TensorId out_tensor = 0;
    size_t floats = 0;  // arena size needed
    uint32_t perm = 0;
    size_t uints = 0;   // iarena size needed

    uint32_t state_count() const { return param_count * spec.state_per_param; }
    uint32_t output() const { return value[out_tensor]; }  // the model's output, B x out
};

// Fails (with a message) when the model is invalid or the arena would not be addressable by uint32 offsets.
bool make_layout(const Model& model, const LayoutSpec& spec, ArenaLayout* out, std::string* err);

}  // namespace lk
