// activation: y = f(x) for any activation of the catalogue (codegen/spec/activations.yaml), elementwise or
// row-wise (softmax, over the last dimension). After a dense op the planner fuses it into the GEMM's epilogue;
// anywhere else it runs as its own kernel.
#include <cmath>

#include "core/kernel_builders.hpp"
#include "core/op_registry.hpp"

namespace lk {
namespace {

class ActivationOp final : public Op {
public:
    ActivationOp(Activation act, float alpha) : act_(act), alpha_(alpha) {}

    const char* type() const override { return "activation"; }
    bool infer(const std::vector<Shape>& in, Shape* out, std::string* err) const override {
        if (!activation_info(act_).elementwise && in[0].last() == 0) {
            *err = std::string(activation_info(act_).name) + " needs a last dimension, got " + in[0].str();
            return false;
        }
        *out = in[0];
        return true;
    }
    Attrs attrs() const override {
        Attrs a;
        a.set("activation", std::string(activation_info(act_).name));
        a.set("alpha", double(alpha_));
        return a;
    }
    std::unique_ptr<Op> clone() const override { return std::make_unique<ActivationOp>(*this); }
    bool activation(Activation* act, float* alpha) const override {
        *act = act_;
        *alpha = alpha_;
        return true;
    }

    void forward(const ForwardCtx& c) const override {
        const uint64_t count = uint64_t(c.rows) * c.out_shape.size();
        if (activation_info(act_).elementwise) {
            c.emit(kernels::act_forward(act_, alpha_, c.in[0], c.out, uint32_t(count)));
        } else {
            const uint32_t cols = c.out_shape.last();
            c.emit(kernels::softmax_rows(c.in[0], c.out, uint32_t(count / cols), cols));
        }
    }
    void backward(const BackwardCtx& c) const override {
        if (c.g_in[0] == kNoSlot) return;
        const uint64_t count = uint64_t(c.rows) * c.out_shape.size();
        if (activation_info(act_).elementwise) {
            c.emit(kernels::act_backward(act_, alpha_, c.g_out, c.in[0], c.out, c.g_in[0], uint32_t(count),
                                         c.g_in_acc[0]));
        } else {
            const uint32_t cols = c.out_shape.last();
            c.emit(kernels::softmax_backward(c.g_out, c.out, c.g_in[0], uint32_t(count / cols), cols,
                                             c.g_in_acc[0]));
        }
    }

private:
    Activation act_;
    float alpha_;
};

std::unique_ptr<Op> make_activation(const Attrs& attrs, std::string* err) {
    AttrReader r("activation", attrs);
    const std::string name = r.text("activation", "");
    Activation act = Activation::IDENTITY;
    if (!activation_from_name(name, &act)) {
        std::string known;
        for (int i = 0; i < ACTIVATION_COUNT; ++i) {
            known += std::string(i ? ", " : "") + activation_info(Activation(i)).name;
        }
        r.fail("unknown activation \"" + name + "\": expected one of " + known);
    }
    const double alpha = r.number("alpha", activation_info(act).default_alpha, -1e30, 1e30);
    *err = r.finish();
    if (!err->empty()) return nullptr;
    return std::make_unique<ActivationOp>(act, float(alpha));
}

}  // namespace

LK_REGISTER_OP(activation, make_activation, "Any catalogue activation, elementwise or softmax over the last dimension.");

}  // namespace lk
