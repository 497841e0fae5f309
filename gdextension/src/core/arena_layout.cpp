#include "core/arena_layout.hpp"

#include "core/network.hpp"

namespace lk {

// 64 floats = 256 bytes, the largest minStorageBufferOffsetAlignment in the wild, so a GPU backend may bind
// any region on its own later, and every region starts on a cache line on the CPU.
static constexpr uint64_t kAlign = 64;

namespace {
struct Cursor {
    uint64_t at = 0;
    // Reserves n floats and returns the region's start (n == 0 still returns a valid aligned offset).
    uint32_t take(uint64_t n) {
        at = (at + kAlign - 1) / kAlign * kAlign;
        const uint64_t start = at;
        at += n;
        return static_cast<uint32_t>(start);  // range checked once at the end
    }
};
}  // namespace

bool make_layout(const Network& net, const LayoutSpec& spec, ArenaLayout* out, std::string* err) {
    const std::string problem = net.validate();
    if (!problem.empty()) {
        if (err) *err = problem;
        return false;
    }
    ArenaLayout L;
    L.spec = spec;
    L.param_count = static_cast<uint32_t>(net.param_count());
    const uint64_t P = L.param_count, B = spec.batch_rows, N = spec.data_rows;
    const uint64_t in = net.input_width(), out_w = net.output_width(), maxw = net.max_width();

    Cursor c;
    L.params = c.take(P);
    L.state = c.take(P * spec.state_per_param);
    L.loss = c.take(spec.loss_slots);
    L.grads = c.take(spec.grads ? P : 0);
    L.partials = c.take(spec.grads ? SUMSQ_PARTIALS : 0);
    L.data_x = c.take(N * in);
    L.data_t = c.take(N * out_w);
    L.batch_x = c.take(B * in);
    L.batch_t = c.take(spec.grads ? B * out_w : 0);
    L.layers.resize(net.layer_count());
    for (size_t i = 0; i < net.layer_count(); ++i) {
        LayerSlots& s = L.layers[i];
        s.param = L.params + static_cast<uint32_t>(net.param_offset(i));
        s.grad = L.grads + static_cast<uint32_t>(net.param_offset(i));
        const uint64_t w = net.layer(i).output_width();
        s.z = c.take(B * w);
        s.y = c.take(B * w);
    }
    L.scratch[0] = c.take(spec.grads ? B * maxw : 0);
    L.scratch[1] = c.take(spec.grads ? B * maxw : 0);
    c.take(0);  // round the total up too
    if (c.at > UINT32_MAX) {
        if (err) *err = "the arena would need " + std::to_string(c.at) + " floats (batch " + std::to_string(B) +
                        ", dataset rows " + std::to_string(N) + "), more than 2^32; use fewer rows";
        return false;
    }
    L.floats = c.at;
    L.perm = 0;
    L.uints = spec.perm_count;
    *out = std::move(L);
    return true;
}

}  // namespace lk
