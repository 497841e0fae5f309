// layer_norm: normalisation over the features of each row (torch.nn.LayerNorm(features)), the same in train and
// eval mode. Affine (default): trainable "weight" (gamma, ones) and "bias" (beta, zeros), torch's names.
#include "core/kernel_builders.hpp"
#include "core/op_registry.hpp"

namespace lk {
namespace {

class LayerNorm final : public Op {
public:
    LayerNorm(float eps, bool affine) : eps_(eps), affine_(affine) {}

    const char* type() const override { return "layer_norm"; }
    bool infer(const std::vector<Shape>& in, Shape* out, std::string* err) const override {
        if (in[0].rank != 1) {
            *err = "normalises features (N, features), got " + in[0].str();
            return false;
        }
        *out = in[0];
        return true;
    }
    std::vector<ParamDesc> params(const std::vector<Shape>& in) const override {
        if (!affine_) return {};
        return {{"weight", in[0], true}, {"bias", in[0], true}};
    }
    void init(const std::vector<Shape>& in, ParamInit& p, const InitSpec&, Rng&) const override {
        if (!affine_) return;
        for (uint32_t i = 0; i < in[0].dims[0]; ++i) {
            p.values[0][i] = 1.0f;
            p.values[1][i] = 0.0f;
        }
    }
    uint64_t scratch_floats(const std::vector<Shape>&, uint32_t rows) const override { return 2u * uint64_t(rows); }
    Attrs attrs() const override {
        Attrs a;
        a.set("eps", double(eps_));
        a.set("affine", affine_ ? 1.0 : 0.0);
        return a;
    }
    std::unique_ptr<Op> clone() const override { return std::make_unique<LayerNorm>(*this); }

    void forward(const ForwardCtx& c) const override {
        c.emit(kernels::layernorm_forward(c.in[0], affine_ ? c.param[0] : 0, affine_ ? c.param[1] : 0, c.out,
                                          c.scratch, c.scratch + c.rows, c.rows, c.out_shape.dims[0], eps_, affine_));
    }
    void backward(const BackwardCtx& c) const override {
        const uint32_t cols = c.out_shape.dims[0];
        if (c.g_in[0] != kNoSlot) {
            c.emit(kernels::layernorm_backward_input(c.g_out, c.in[0], affine_ ? c.param[0] : 0, c.scratch,
                                                     c.scratch + c.rows, c.g_in[0], c.rows, cols, affine_,
                                                     c.g_in_acc[0]));
        }
        if (affine_ && c.g_param[0] != kNoSlot) {
            c.emit(kernels::layernorm_backward_params(c.g_out, c.in[0], c.scratch, c.scratch + c.rows, c.g_param[0],
                                                      c.g_param[1], c.rows, cols, c.g_param_acc[0]));
        }
    }

private:
    float eps_;
    bool affine_;
};

std::unique_ptr<Op> make_layer_norm(const Attrs& attrs, std::string* err) {
    AttrReader r("layer_norm", attrs);
    const double eps = r.number("eps", 1e-5, 1e-30, 1.0);
    const bool affine = r.flag("affine", true);
    *err = r.finish();
    if (!err->empty()) return nullptr;
    return std::make_unique<LayerNorm>(float(eps), affine);
}

}  // namespace

LK_REGISTER_OP(layer_norm, make_layer_norm, "Layer normalisation over the features of each row (torch.nn.LayerNorm).");

}  // namespace lk
