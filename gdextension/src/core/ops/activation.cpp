// activation: y = f(x) for any activation of the catalogue (codegen/spec/activations.yaml), elementwise or
// row-wise (softmax, log_softmax: over the last dimension). After a dense op the planner fuses an elementwise
// one into the GEMM's epilogue; anywhere else it runs as its own kernel.
//
// Settings: "activation" (a name or an alias) and each of that activation's parameters by its spec name
// (hard_tanh: min_val, max_val; softplus: beta, threshold; ...), defaulting to the spec's values. Any other
// setting is an error, so a model is exactly what its settings say (the API's LKDense, whose alpha predates
// named parameters, and version-1 files pass alpha only to activations that have one).
#include <cmath>

#include "core/custom_activation.hpp"
#include "core/kernel_builders.hpp"
#include "core/op_registry.hpp"
#include "kernels/param_checks.hpp"

namespace lk {
namespace {

class ActivationOp final : public Op {
public:
    ActivationOp(Activation act, const ActParams& params) : act_(act), params_(params) {}

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
        const ActivationInfo& info = activation_info(act_);
        Attrs a;
        a.set("activation", std::string(info.name));
        for (int k = 0; k < info.param_count; ++k) a.set(info.param_names[k], double(params_.p[k]));
        return a;
    }
    std::unique_ptr<Op> clone() const override { return std::make_unique<ActivationOp>(*this); }
    bool activation(Activation* act, ActParams* params) const override {
        *act = act_;
        *params = params_;
        return true;
    }

    void forward(const ForwardCtx& c) const override {
        const uint64_t count = uint64_t(c.rows) * c.out_shape.size();
        if (activation_info(act_).elementwise) {
            c.emit(kernels::act_forward(act_, params_, c.in[0], c.out, uint32_t(count)));
        } else {
            const uint32_t cols = c.out_shape.last();
            c.emit(kernels::row_forward(act_, c.in[0], c.out, uint32_t(count / cols), cols));
        }
    }
    void backward(const BackwardCtx& c) const override {
        if (c.g_in[0] == kNoSlot) return;
        const uint64_t count = uint64_t(c.rows) * c.out_shape.size();
        if (activation_info(act_).elementwise) {
            c.emit(kernels::act_backward(act_, params_, c.g_out, c.in[0], c.out, c.g_in[0], uint32_t(count),
                                         c.g_in_acc[0]));
        } else {
            const uint32_t cols = c.out_shape.last();
            c.emit(kernels::row_backward(act_, c.g_out, c.out, c.g_in[0], uint32_t(count / cols), cols,
                                         c.g_in_acc[0]));
        }
    }

private:
    Activation act_;
    ActParams params_;
};

std::unique_ptr<Op> make_activation(const Attrs& attrs, std::string* err) {
    AttrReader r("activation", attrs);
    const std::string name = r.text("activation", "");
    Activation act = Activation::IDENTITY;
    if (!activation_from_name(name, &act)) {
        // Not in the catalogue: a custom activation registered at run time (core/custom_activation.hpp)?
        if (find_custom_activation(name)) return make_custom_activation_op(name, r, err);
        std::string known;
        for (int i = 0; i < ACTIVATION_COUNT; ++i) {
            const ActivationInfo& info = activation_info(Activation(i));
            known += std::string(i ? ", " : "") + info.name;
            if (info.aliases[0]) known += std::string(" (or ") + info.aliases + ")";
        }
        const std::vector<std::string> custom = custom_activation_names();
        known += custom.empty() ? std::string(" (no custom activation registered)") : "; custom:";
        for (size_t i = 0; i < custom.size(); ++i) known += (i ? ", " : " ") + custom[i];
        r.fail("unknown activation \"" + name + "\": expected one of " + known +
               " (a custom activation must be registered with LearnKit.register_activation() first)");
    }
    const ActivationInfo& info = activation_info(act);
    ActParams params = info.defaults;
    for (int k = 0; k < info.param_count; ++k) {
        params.p[k] = float(r.number(info.param_names[k], info.defaults.p[k], -1e30, 1e30));
    }
    if (std::string rule = activation_check(act, params); !rule.empty() && r.finish().empty()) r.fail(rule);
    *err = r.finish();
    if (!err->empty()) return nullptr;
    return std::make_unique<ActivationOp>(act, params);
}

}  // namespace

LK_REGISTER_OP(activation, make_activation,
               "Any catalogue activation, elementwise or row-wise (softmax, log_softmax) over the last dimension, "
               "with its parameters as settings.");

}  // namespace lk
