// dense: y = x W^T + b (torch.nn.Linear). Parameters "weight" (units x inputs, row-major: torch's layout, so
// weights can be compared with or poured in from PyTorch) and "bias" (units). Reads the last dimension of its
// input as features. The planner fuses a following elementwise activation into this op's GEMM epilogue and
// folds the input's activation derivative into its input-gradient GEMM. Settings: "units", "inputs" (optional)
// and this layer's own initializer, "init" with "init_<param>" (core/init_attrs.hpp).
#include "core/init.hpp"
#include "core/init_attrs.hpp"
#include "core/kernel_builders.hpp"
#include "core/op_registry.hpp"
#include "core/sizes.hpp"

namespace lk {
namespace {

class Dense final : public Op {
public:
    Dense(uint32_t units, uint32_t inputs, bool own_init, const InitSpec& init)
        : units_(units), inputs_(inputs), own_init_(own_init), init_(init) {}

    const char* type() const override { return "dense"; }
    bool infer(const std::vector<Shape>& in, Shape* out, std::string* err) const override {
        if (in[0].rank != 1) {
            *err = "expects features (N, inputs), got " + in[0].str();
            return false;
        }
        if (inputs_ && in[0].dims[0] != inputs_) {
            *err = "was declared with " + std::to_string(inputs_) + " inputs but its input has shape " + in[0].str();
            return false;
        }
        if (uint64_t(in[0].dims[0]) * units_ + units_ > kMaxFloats / 4) {
            *err = std::to_string(in[0].dims[0]) + " -> " + std::to_string(units_) + " has too many weights";
            return false;
        }
        if (own_init_) {  // refused when the layer is added; the network's initializer when it is applied
            *err = init_check(in, init_);
            if (!err->empty()) return false;
        }
        *out = Shape::features(units_);
        return true;
    }
    std::vector<ParamDesc> params(const std::vector<Shape>& in) const override {
        Shape w;
        w.rank = 2;
        w.dims[0] = units_;
        w.dims[1] = in[0].dims[0];
        return {{"weight", w, true}, {"bias", Shape::features(units_), true}};
    }
    std::string init_check(const std::vector<Shape>& in, const InitSpec& network_init) const override {
        const uint32_t fan_in = in[0].dims[0];
        return init_tensor_check(units_, fan_in, init_weight_draw(own_init_ ? init_ : network_init, fan_in, units_));
    }
    void init(const std::vector<Shape>& in, ParamInit& p, const InitSpec& network_init, Rng& rng) const override {
        const InitSpec& init = own_init_ ? init_ : network_init;
        const uint32_t fan_in = in[0].dims[0];
        init_tensor(p.values[0], units_, fan_in, init_weight_draw(init, fan_in, units_), rng);
        // Biases: zero for most initializers (torch_linear draws them, as nn.Linear does), after the weights.
        init_tensor(p.values[1], 1, units_, init_bias_draw(init, fan_in, units_), rng);
    }
    uint64_t macs_per_row(const std::vector<Shape>& in, const Shape&) const override {
        return uint64_t(in[0].dims[0]) * units_ + units_;
    }
    Attrs attrs() const override {
        Attrs a;
        a.set("units", double(units_));
        if (inputs_) a.set("inputs", double(inputs_));
        if (own_init_) init_to_attrs(init_, &a);
        return a;
    }
    std::unique_ptr<Op> clone() const override { return std::make_unique<Dense>(*this); }

    void forward(const ForwardCtx& c) const override {
        forward_with_activation(c, Activation::IDENTITY, ActParams{}, c.out);
    }
    bool can_fuse_output_activation() const override { return true; }
    void forward_with_activation(const ForwardCtx& c, Activation act, const ActParams& params,
                                 uint32_t y) const override {
        c.emit(kernels::dense_forward(act, params, c.in[0], c.param[0], c.param[1], c.out, y, c.rows, units_,
                                      c.in_shapes[0].dims[0]));
    }
    bool can_fold_input_activation(size_t) const override { return true; }

    void backward(const BackwardCtx& c) const override {
        const uint32_t in = c.in_shapes[0].dims[0];
        if (c.g_param[0] != kNoSlot) {
            c.emit(kernels::weight_grad(c.g_out, c.in[0], c.g_param[0], c.rows, units_, in, c.g_param_acc[0]));
        }
        if (c.g_param[1] != kNoSlot) {
            c.emit(kernels::bias_grad(c.g_out, c.g_param[1], c.rows, units_, c.g_param_acc[1]));
        }
        if (c.g_in[0] == kNoSlot) return;
        const FoldedActivation& f = c.fold[0];
        c.emit(kernels::dense_backward_input(f.on ? f.act : Activation::IDENTITY, f.on ? f.params : ActParams{}, c.g_out,
                                             c.param[0], f.on ? f.z : c.in[0], c.in[0], c.g_in[0], c.rows,
                                             units_, in, c.g_in_acc[0]));
    }

private:
    uint32_t units_;
    uint32_t inputs_;  // 0: taken from the input's shape
    bool own_init_;    // settings "init", "init_<param>": this layer's initializer, whatever the network's
    InitSpec init_;
};

std::unique_ptr<Op> make_dense(const Attrs& attrs, std::string* err) {
    AttrReader r("dense", attrs);
    const double units = r.number("units", 0.0, 1.0, double(1u << 30), true);
    const double inputs = r.number("inputs", 0.0, 1.0, double(1u << 30), true);
    if (!attrs.find("units")) r.fail("\"units\" (the number of outputs) is required");
    InitSpec init;
    const bool own_init = init_from_attrs(r, attrs, &init);
    *err = r.finish();
    if (!err->empty()) return nullptr;
    return std::make_unique<Dense>(uint32_t(units), uint32_t(inputs), own_init, init);
}

}  // namespace

LK_REGISTER_OP(dense, make_dense, "Fully connected: y = x W^T + b (torch.nn.Linear). Settings: units, inputs; "
                                  "init and init_<param>: its own initializer, whatever the network's.");

}  // namespace lk
