#include "core/arena_layout.hpp"

namespace lk {

// 64 floats = 256 bytes, the largest minStorageBufferOffsetAlignment in the wild, so a GPU backend may bind
// any region on its own later, and every region starts on a cache line on the CPU.
static constexpr uint64_t kAlign = 64;

namespace {

struct Cursor {
    uint64_t at = 0;
    // Reserves n floats and returns the region's start (n == 0 still returns a valid aligned offset). 64-bit
    // throughout; the total is checked against 2^32 once at the end, before any offset is used.
    uint32_t take(uint64_t n) {
        at = (at + kAlign - 1) / kAlign * kAlign;
        const uint64_t start = at;
        at += n;
        return static_cast<uint32_t>(start);
    }
};

// The op reading tensor t, when it is the only one, else -1.
int sole_consumer(const Model& m, TensorId t) {
    const auto& c = m.tensor(t).consumers;
    return c.size() == 1 ? c[0] : -1;
}

bool elementwise_activation(const Op& op) {
    Activation act;
    ActParams params;
    return op.activation(&act, &params) && activation_info(act).elementwise;
}

Fusion fuse(const Model& m) {
    const size_t n = m.op_count();
    Fusion f;
    f.fwd_act.assign(n, -1);
    f.skip_forward.assign(n, false);
    f.bwd_fold.assign(n, -1);
    f.fold_skips_backward.assign(n, false);
    for (size_t i = 0; i < n; ++i) {
        // Forward: op -> elementwise activation, the activation its only reader and the op's output nobody
        // else's: one kernel writes both tensors (dense: GEMM + bias + activation).
        const TensorId t = m.node(i).output;
        const int j = sole_consumer(m, t);
        if (m.op(i).can_fuse_output_activation() && j >= 0 && t != m.output() && elementwise_activation(m.op(j))) {
            f.fwd_act[i] = j;
            f.skip_forward[j] = true;
        }
        // Backward: activation -> op that can fold, the op the activation's only reader: the op's input gradient
        // kernel multiplies in the derivative, and the activation's backward disappears.
        const OpNode& node = m.node(i);
        if (node.inputs.size() == 1 && m.op(i).can_fold_input_activation(0)) {
            const TensorId y = node.inputs[0];
            const int a = m.tensor(y).producer;
            if (a >= 0 && y != m.output() && sole_consumer(m, y) == int(i) && elementwise_activation(m.op(a))) {
                f.bwd_fold[i] = a;
                f.fold_skips_backward[a] = true;
            }
        }
    }
    return f;
}

}  // namespace

bool make_layout(const Model& m, const LayoutSpec& spec, ArenaLayout* out, std::string* err) {
    const std::string& problem = m.validate();
    if (!problem.empty()) {
        if (err) *err = problem;
        return false;
    }
    ArenaLayout L;
    L.spec = spec;
    L.param_count = static_cast<uint32_t>(m.param_count());
    L.buffer_count = static_cast<uint32_t>(m.buffer_count());
    L.out_tensor = m.output();
    const uint64_t P = L.param_count, B = spec.batch_rows, N = spec.data_rows;
    const uint64_t in = m.input_width(), out_w = m.output_width();

    Cursor c;
    L.params = c.take(P);
    L.buffers = c.take(L.buffer_count);
    L.state = c.take(P * spec.state_per_param);
    L.loss = c.take(spec.loss_slots);
    L.grads = c.take(spec.grads ? P : 0);
    L.partials = c.take(spec.grads ? SUMSQ_PARTIALS : 0);
    L.data_x = c.take(N * in);
    L.data_t = c.take(N * out_w);
    L.batch_x = c.take(B * in);
    L.batch_t = c.take(spec.grads ? B * out_w : 0);

    // A tensor needs a gradient when a trainable parameter lies upstream of it.
    const size_t T = m.tensor_count();
    std::vector<bool> needs(T, false);
    for (size_t i = 0; i < m.op_count(); ++i) {
        const OpNode& n = m.node(i);
        bool g = false;
        for (const ParamDesc& p : n.params) g = g || p.trainable;
        for (TensorId t : n.inputs) g = g || needs[t];
        needs[n.output] = g;
    }
    needs[m.output()] = m.output() != 0;  // the loss writes its gradient even when nothing upstream trains
    L.value.assign(T, 0);
    L.grad.assign(T, kNoSlot);
    L.value[0] = L.batch_x;
    for (size_t t = 1; t < T; ++t) L.value[t] = c.take(B * m.tensor(TensorId(t)).shape.size());
    if (spec.grads) {
        for (size_t t = 1; t < T; ++t) {
            if (needs[t]) L.grad[t] = c.take(B * m.tensor(TensorId(t)).shape.size());
        }
    }
    L.scratch.assign(m.op_count(), kNoSlot);
    L.param.resize(m.op_count());
    L.gparam.resize(m.op_count());
    for (size_t i = 0; i < m.op_count(); ++i) {
        const OpNode& n = m.node(i);
        const uint64_t s = n.op->scratch_floats(n.in_shapes, uint32_t(B));
        if (s) L.scratch[i] = c.take(s);
        for (size_t k = 0; k < n.params.size(); ++k) {
            const bool tr = n.params[k].trainable;
            L.param[i].push_back((tr ? L.params : L.buffers) + uint32_t(n.offsets[k]));
            L.gparam[i].push_back(tr && spec.grads ? L.grads + uint32_t(n.offsets[k]) : kNoSlot);
        }
    }
    c.take(0);  // round the total up too
    if (c.at > UINT32_MAX) {
        if (err) *err = "the arena would need " + std::to_string(c.at) + " floats (batch " + std::to_string(B) +
                        ", dataset rows " + std::to_string(N) + "), more than 2^32; use fewer rows";
        return false;
    }
    L.fusion = fuse(m);
    L.floats = c.at;
    L.perm = 0;
    L.uints = spec.perm_count;
    *out = std::move(L);
    return true;
}

}  // namespace lk
