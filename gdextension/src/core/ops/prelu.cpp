// prelu: y = x for x > 0, w x otherwise, with a learnable slope w (torch.nn.PReLU): one slope shared by every
// element (num_parameters 1, the default) or one per feature, the last dimension (num_parameters = features;
// torch's channel dimension, the same for (N, features) inputs). Parameter "weight" (torch's name), initialised
// to "init" (0.25, torch's default). Not a catalogue activation: its slope is a parameter with a gradient, not a
// push constant, so it has its own kernels (templates/kernels/prelu_*.glsl.j2, cpu/_prelu.j2) and is never fused.
// Derivative at x = 0: w for x, and x (= 0) for w, as torch.
#include "core/kernel_builders.hpp"
#include "core/op_registry.hpp"

namespace lk {
namespace {

class PRelu final : public Op {
public:
    PRelu(uint32_t num, float init) : num_(num), init_(init) {}

    const char* type() const override { return "prelu"; }
    bool infer(const std::vector<Shape>& in, Shape* out, std::string* err) const override {
        if (in[0].last() == 0 || (num_ != 1 && num_ != in[0].last())) {
            *err = "has num_parameters " + std::to_string(num_) + ": expected 1 or the number of features (" +
                   std::to_string(in[0].last()) + ") of its input " + in[0].str();
            return false;
        }
        *out = in[0];
        return true;
    }
    std::vector<ParamDesc> params(const std::vector<Shape>&) const override {
        return {{"weight", Shape::features(num_), true}};
    }
    void init(const std::vector<Shape>&, ParamInit& p, const InitSpec&, Rng&) const override {
        for (uint32_t i = 0; i < num_; ++i) p.values[0][i] = init_;
    }
    Attrs attrs() const override {
        Attrs a;
        a.set("num_parameters", double(num_));
        a.set("init", double(init_));
        return a;
    }
    std::unique_ptr<Op> clone() const override { return std::make_unique<PRelu>(*this); }

    void forward(const ForwardCtx& c) const override {
        const uint32_t cols = c.out_shape.last();
        c.emit(kernels::prelu_forward(c.in[0], c.param[0], c.out, rows(c), cols, num_ == 1));
    }
    void backward(const BackwardCtx& c) const override {
        const uint32_t cols = c.out_shape.last();
        if (c.g_param[0] != kNoSlot) {
            c.emit(kernels::prelu_backward_param(c.g_out, c.in[0], c.g_param[0], rows(c), cols, num_ == 1,
                                                 c.g_param_acc[0]));
        }
        if (c.g_in[0] != kNoSlot) {
            c.emit(kernels::prelu_backward_input(c.g_out, c.in[0], c.param[0], c.g_in[0], rows(c), cols, num_ == 1,
                                                 c.g_in_acc[0]));
        }
    }

private:
    // Rows of the (batch x ... x features) tensor seen as a matrix of features.
    static uint32_t rows(const ForwardCtx& c) {
        return uint32_t(uint64_t(c.rows) * c.out_shape.size() / c.out_shape.last());
    }
    uint32_t num_;
    float init_;
};

std::unique_ptr<Op> make_prelu(const Attrs& attrs, std::string* err) {
    AttrReader r("prelu", attrs);
    const double num = r.number("num_parameters", 1.0, 1.0, double(1u << 24), true);
    const double init = r.number("init", 0.25, -1e30, 1e30);
    *err = r.finish();
    if (!err->empty()) return nullptr;
    return std::make_unique<PRelu>(uint32_t(num), float(init));
}

}  // namespace

LK_REGISTER_OP(prelu, make_prelu,
               "PReLU with a learnable slope, shared or one per feature (torch.nn.PReLU: num_parameters, init).");

}  // namespace lk
