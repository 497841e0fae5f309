// Where everything lives in the backend's two flat arrays. One layout serves every plan of a call; it is a
// pure function of the network and a LayoutSpec, so the CPU and GPU backends see identical offsets.
//
// float arena, in this order (each region starts on a 64-float boundary):
//   params     P       all layers' parameters, contiguous (same layout as Network::params())
//   state      P*s     optimizer state, s = state_per_param (Adam: m then v, each P long)
//   loss       L       one mean-loss float per step of a submit chunk
//   grads      P       gradients, same layout as params          (only with spec.grads)
//   partials   64      grad_sumsq partial sums for clipping       (only with spec.grads)
//   data_x     N x in  the uploaded dataset                       (only with data_rows)
//   data_t     N x out its targets
//   batch_x    B x in  the current batch (gathered from data_x, or uploaded directly)
//   batch_t    B x out its targets                                (only with spec.grads)
//   per layer  Z, Y    B x width each, kept from forward for backward
//   scratch 0, 1       B x max width each: ping-pong dL/dz buffers (only with spec.grads)
// uint arena:
//   perm       perm_count row indices (one or more epochs' permutations)
//
// Why this order: params, state and grads are each contiguous across all layers, so clipping and the
// optimizer update are one call each. params|state|loss are adjacent, so the end of fit() downloads the
// last chunk's losses, the trained parameters and the optimizer state in one readback; loss|grads are
// adjacent for the same reason in Trainer::gradients(). params and state sit at offsets that depend only on
// the network and the optimizer, never on batch or dataset size.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/layer.hpp"

namespace lk {

class Network;

struct LayoutSpec {
    uint32_t batch_rows = 0;       // B: the largest batch any plan of this call runs
    uint32_t data_rows = 0;        // N: rows of the dataset kept on the device (0: none)
    uint32_t loss_slots = 0;       // L
    uint32_t perm_count = 0;       // uint slots for row permutations
    uint32_t state_per_param = 0;  // optimizer state floats per parameter
    bool grads = false;            // training or gradients: gradients, scratch and targets needed
};

struct ArenaLayout {
    LayoutSpec spec;
    uint32_t param_count = 0;
    uint32_t params = 0, state = 0, loss = 0, grads = 0, partials = 0;
    uint32_t data_x = 0, data_t = 0, batch_x = 0, batch_t = 0;
    std::vector<LayerSlots> layers;
    uint32_t scratch[2] = {0, 0};
    size_t floats = 0;  // arena size needed
    uint32_t perm = 0;
    size_t uints = 0;   // iarena size needed

    uint32_t state_count() const { return param_count * spec.state_per_param; }
    uint32_t output() const { return layers.back().y; }  // the network's output Y, B x out
};

// Fails (with a message) when the network is invalid or the arena would not be addressable by uint32 offsets.
bool make_layout(const Network& net, const LayoutSpec& spec, ArenaLayout* out, std::string* err);

}  // namespace lk
