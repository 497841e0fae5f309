#include "core/plan.hpp"

#include "core/kernel_builders.hpp"

namespace lk {

namespace {

// The context op i plans its forward pass in.
void fill_forward(const Model& m, const ArenaLayout& L, size_t i, uint32_t rows, Mode mode, uint64_t seed,
                  std::vector<KernelCall>* calls, ForwardCtx* c) {
    const OpNode& n = m.node(i);
    c->calls = calls;
    c->rows = rows;
    c->mode = mode;
    c->seed = seed;
    c->op_index = uint32_t(i);
    c->in.clear();
    for (TensorId t : n.inputs) c->in.push_back(L.value[t]);
    c->in_shapes = n.in_shapes;
    c->out = L.value[n.output];
    c->out_shape = m.tensor(n.output).shape;
    c->param = L.param[i];
    c->scratch = L.scratch[i];
}

// Planning runs for every step (tens of thousands per fit): the contexts and bookkeeping below keep their
// capacity between calls instead of allocating per op and step. One set per thread; planning never calls out
// to user code, so it cannot re-enter itself.
thread_local ForwardCtx t_fwd;
thread_local BackwardCtx t_bwd;
thread_local std::vector<bool> t_written;
thread_local std::vector<std::vector<bool>> t_pwritten;

void forward_ops(const Model& m, const ArenaLayout& L, uint32_t rows, Mode mode, uint64_t seed, bool fusion,
                 std::vector<KernelCall>* calls) {
    ForwardCtx& c = t_fwd;
    for (size_t i = 0; i < m.op_count(); ++i) {
        if (fusion && L.fusion.skip_forward[i]) continue;
        fill_forward(m, L, i, rows, mode, seed, calls, &c);
        const int a = fusion ? L.fusion.fwd_act[i] : -1;
        if (a < 0) {
            m.op(i).forward(c);
            continue;
        }
        Activation act;
        ActParams params;
        m.op(size_t(a)).activation(&act, &params);
        m.op(i).forward_with_activation(c, act, params, L.value[m.node(size_t(a)).output]);
    }
}

// Records the loss; marks what it wrote in `written` and returns the op whose backward it made unnecessary
// (the output activation, when the loss is fused with it), or -1.
int plan_loss(const Model& m, const ArenaLayout& L, const StepPlan& step, std::vector<KernelCall>* calls,
              std::vector<bool>* written) {
    const TensorId o = m.output();
    const uint32_t out_w = m.output_width();
    const int p = m.tensor(o).producer;
    const Activation link = loss_info(step.loss.kind).fused_activation;
    Activation act;
    ActParams params;
    const bool is_act = p >= 0 && m.op(size_t(p)).activation(&act, &params);
    if (step.allow_fused && m.tensor(o).consumers.empty() && is_act && act == link) {
        // dL/dz of the activation's input z, straight from the loss kernel.
        const TensorId z = m.node(size_t(p)).inputs[0];
        if (L.grad[z] != kNoSlot) {
            calls->push_back(kernels::loss(step.loss, true, L.value[o], L.value[z], L.batch_t, L.grad[z],
                                           L.loss + step.loss_slot, step.rows, out_w));
            (*written)[z] = true;
            return p;
        }
    }
    // The output always has a gradient slot when training (make_layout), even if nothing trainable is upstream.
    const bool fused = step.allow_fused && link == Activation::IDENTITY && !is_act;
    calls->push_back(kernels::loss(step.loss, fused, L.value[o], L.value[o], L.batch_t, L.grad[o],
                                   L.loss + step.loss_slot, step.rows, out_w));
    (*written)[o] = true;
    return -1;
}

}  // namespace

void plan_forward(const Model& m, const ArenaLayout& L, uint32_t rows, Mode mode, uint64_t seed,
                  std::vector<KernelCall>* calls, bool allow_op_fusion) {
    forward_ops(m, L, rows, mode, seed, allow_op_fusion, calls);
}

void plan_eval_batch(const Model& m, const ArenaLayout& L, uint32_t rows, uint32_t perm_start, const LossSetup* loss,
                     uint32_t loss_slot, bool allow_fused, bool allow_op_fusion, std::vector<KernelCall>* calls) {
    calls->push_back(kernels::gather_rows(L.data_x, L.batch_x, L.perm, perm_start, rows, m.input_width()));
    if (loss) calls->push_back(kernels::gather_rows(L.data_t, L.batch_t, L.perm, perm_start, rows, m.output_width()));
    forward_ops(m, L, rows, Mode::EVAL, 0, allow_op_fusion, calls);
    if (!loss) return;
    StepPlan step;
    step.rows = rows;
    step.loss = *loss;
    step.loss_slot = loss_slot;
    step.allow_fused = allow_fused;
    step.allow_op_fusion = allow_op_fusion;
    std::vector<bool> written(m.tensor_count(), false);
    plan_loss(m, L, step, calls, &written);
}

void plan_train_step(const Model& m, const ArenaLayout& L, const StepPlan& step, std::vector<KernelCall>* calls) {
    const uint32_t in_w = m.input_width(), out_w = m.output_width();
    if (step.gather) {
        calls->push_back(kernels::gather_rows(L.data_x, L.batch_x, L.perm, step.perm_start, step.rows, in_w));
        calls->push_back(kernels::gather_rows(L.data_t, L.batch_t, L.perm, step.perm_start, step.rows, out_w));
    }
    const bool fusion = step.allow_op_fusion;
    forward_ops(m, L, step.rows, Mode::TRAIN, step.seed, fusion, calls);

    // Backward, last op first. Gradients accumulate: `written` says which already hold a contribution of this
    // step, so the first kernel to reach a gradient writes it and every later one adds (no zeroing pass).
    std::vector<bool>& written = t_written;
    written.assign(m.tensor_count(), false);
    std::vector<std::vector<bool>>& pwritten = t_pwritten;
    pwritten.resize(m.op_count());
    for (size_t i = 0; i < m.op_count(); ++i) pwritten[i].assign(m.node(i).params.size(), false);
    const int loss_skips = plan_loss(m, L, step, calls, &written);

    BackwardCtx& c = t_bwd;
    for (size_t i = m.op_count(); i-- > 0;) {
        const OpNode& n = m.node(i);
        if (int(i) == loss_skips || (fusion && L.fusion.fold_skips_backward[i])) continue;
        if (!written[n.output]) continue;  // no gradient reaches this op (its output does not feed the loss)
        fill_forward(m, L, i, step.rows, Mode::TRAIN, step.seed, calls, &c);
        c.g_out = L.grad[n.output];
        c.g_in.assign(n.inputs.size(), kNoSlot);
        c.g_in_acc.assign(n.inputs.size(), false);
        c.fold.assign(n.inputs.size(), FoldedActivation{});
        for (size_t k = 0; k < n.inputs.size(); ++k) {
            TensorId t = n.inputs[k];
            const int a = fusion && k == 0 ? L.fusion.bwd_fold[i] : -1;
            if (a >= 0) {  // write dL/dz of the activation's input instead
                FoldedActivation& f = c.fold[k];
                f.on = true;
                m.op(size_t(a)).activation(&f.act, &f.params);
                t = m.node(size_t(a)).inputs[0];
                f.z = L.value[t];
            }
            if (L.grad[t] == kNoSlot) continue;
            c.g_in[k] = L.grad[t];
            c.g_in_acc[k] = written[t];
            written[t] = true;
        }
        c.g_param = L.gparam[i];
        c.g_param_acc.assign(n.params.size(), false);
        for (size_t k = 0; k < n.params.size(); ++k) {
            c.g_param_acc[k] = pwritten[i][k];
            if (c.g_param[k] != kNoSlot) pwritten[i][k] = true;
        }
        m.op(i).backward(c);
    }
    // A parameter no gradient reached (its op does not feed the loss) has a zero gradient, not stale memory.
    for (size_t i = 0; i < m.op_count(); ++i) {
        const OpNode& n = m.node(i);
        for (size_t k = 0; k < n.params.size(); ++k) {
            if (n.params[k].trainable && !pwritten[i][k]) {
                calls->push_back(kernels::fill(L.gparam[i][k], uint32_t(n.params[k].shape.size()), 0.0f));
            }
        }
    }

    if (!step.update || L.param_count == 0) return;
    if (step.clip) calls->push_back(kernels::grad_sumsq(L.grads, L.param_count, L.partials));
    for (const StepPlan::Update& u : step.updates) {
        calls->push_back(kernels::optimizer_step(step.optimizer, u.floats, L.params + u.offset, L.grads + u.offset,
                                                 L.state + u.offset, L.param_count, u.count, L.partials));
    }
}

}  // namespace lk
