// Plan builders: turn a model and a layout into lists of kernel calls. A plan is plain data (no backend, no
// memory), so the same plan runs on the CPU backend and is recorded by the GPU backend, and tests can inspect
// it. Calls are in execution order and each may read what any earlier call wrote.
#pragma once
#include <cstdint>
#include <vector>

#include "core/arena_layout.hpp"
#include "core/kernel_call.hpp"
#include "core/model.hpp"
#include "kernels/optimizer_host.hpp"

namespace lk {

// One training (or gradient-only) step on one batch.
struct StepPlan {
    uint32_t rows = 0;            // rows of this batch, <= layout batch rows (the last batch may be short)
    bool gather = false;          // true: copy the batch from data_x/data_t through the permutation region
    uint32_t perm_start = 0;      // first permutation index of this batch (gather only)
    LossSetup loss = Loss::MSE;   // the loss with its parameters and reduction
    uint32_t loss_slot = 0;       // the mean loss is written to layout.loss + loss_slot
    // Fused: the loss kernel returns dL/dz directly when the output is the loss's natural partner applied to z
    // (softmax+cce, sigmoid+bce, identity+mse): one kernel, and numerically stable (log-sum-exp on z).
    // Tests turn it off to check that the generic path gives the same gradients.
    bool allow_fused = true;
    // false: the unfused twin of every activation fusion too (tests check both give the same numbers).
    bool allow_op_fusion = true;
    bool update = true;           // false: stop after the gradients (Session::gradients)
    uint64_t seed = 0;            // the step's seed (dropout masks)
    Optimizer optimizer = Optimizer::SGD;
    bool clip = false;            // clip by the global gradient norm (the floats' max_norm), over ALL gradients
    // One optimizer_step per contiguous run of parameters with the same settings (parameter groups), each with
    // its push floats for this step (optimizer_floats()). State stride: the whole parameter count.
    struct Update {
        uint32_t offset = 0, count = 0;
        OptimizerFloats floats;
    };
    std::vector<Update> updates;
};

// Forward pass over `rows` rows of layout.batch_x; the result is at layout.output().
void plan_forward(const Model& model, const ArenaLayout& layout, uint32_t rows, Mode mode, uint64_t seed,
                  std::vector<KernelCall>* calls, bool allow_op_fusion = true);

// Eval-mode forward of `rows` rows gathered from data_x through the permutation region from perm_start (fit()'s
// per-epoch validation and metrics); with `loss`, also their targets from data_t and the batch's loss into
// layout.loss + loss_slot, computed by the training step's loss kernel (its gradient output is scratch here).
void plan_eval_batch(const Model& model, const ArenaLayout& layout, uint32_t rows, uint32_t perm_start,
                     const LossSetup* loss, uint32_t loss_slot, bool allow_fused, bool allow_op_fusion,
                     std::vector<KernelCall>* calls);

// Gather (optional), forward (train mode), loss, backward, clipping (optional), optimizer update (optional).
void plan_train_step(const Model& model, const ArenaLayout& layout, const StepPlan& step,
                     std::vector<KernelCall>* calls);

}  // namespace lk
