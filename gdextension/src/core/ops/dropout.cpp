// dropout: inverted dropout (torch.nn.Dropout). In train mode each element is zeroed with probability p and
// the rest scaled by 1 / (1 - p); in eval mode it is the identity. The mask is not stored: it is a
// counter-based hash of the step's seed and the element's index, recomputed by the backward pass, and the same
// on the CPU and the GPU for the same seed.
#include "core/kernel_builders.hpp"
#include "core/op_registry.hpp"
#include "core/rng.hpp"

namespace lk {
namespace {

class Dropout final : public Op {
public:
    explicit Dropout(float p) : p_(p) {}

    const char* type() const override { return "dropout"; }
    bool infer(const std::vector<Shape>& in, Shape* out, std::string*) const override {
        *out = in[0];
        return true;
    }
    Attrs attrs() const override {
        Attrs a;
        a.set("p", double(p_));
        return a;
    }
    std::unique_ptr<Op> clone() const override { return std::make_unique<Dropout>(*this); }

    void forward(const ForwardCtx& c) const override {
        const uint32_t count = uint32_t(uint64_t(c.rows) * c.out_shape.size());
        if (c.mode == Mode::TRAIN && p_ > 0.0f) {
            c.emit(kernels::dropout_forward(c.in[0], c.out, count, p_, seed(c)));
        } else {
            c.emit(kernels::copy(c.in[0], c.out, count, false));
        }
    }
    void backward(const BackwardCtx& c) const override {
        if (c.g_in[0] == kNoSlot) return;
        const uint32_t count = uint32_t(uint64_t(c.rows) * c.out_shape.size());
        if (c.mode == Mode::TRAIN && p_ > 0.0f) {
            c.emit(kernels::dropout_backward(c.g_out, c.g_in[0], count, p_, seed(c), c.g_in_acc[0]));
        } else {
            c.emit(kernels::copy(c.g_out, c.g_in[0], count, c.g_in_acc[0]));
        }
    }

private:
    // Two dropout ops in one step must not draw the same mask: the op's index in the graph is mixed in.
    static uint64_t seed(const ForwardCtx& c) { return Rng::mix(c.seed, c.op_index); }

    float p_;
};

std::unique_ptr<Op> make_dropout(const Attrs& attrs, std::string* err) {
    AttrReader r("dropout", attrs);
    const double p = r.number("p", 0.5, 0.0, 0.999999);
    *err = r.finish();
    if (!err->empty()) return nullptr;
    return std::make_unique<Dropout>(float(p));
}

}  // namespace

LK_REGISTER_OP(dropout, make_dropout, "Inverted dropout with probability p in train mode; identity in eval mode.");

}  // namespace lk
