// Fully connected layer, y = act(x W^T + b). Parameter layout matches torch.nn.Linear so weights can be
// compared with, or imported from, PyTorch directly: W (out x in, row-major), then b (out).
#pragma once
#include <cmath>

#include "core/layer.hpp"

namespace lk {

class DenseLayer final : public Layer {
public:
    // alpha: the activation's parameter (leaky relu slope); NaN means the activation's documented default.
    DenseLayer(uint32_t in, uint32_t out, Activation act = Activation::IDENTITY, float alpha = NAN);

    const char* type_name() const override { return "dense"; }
    uint32_t input_width() const override { return in_; }
    uint32_t output_width() const override { return out_; }
    uint32_t param_count() const override;
    Activation activation() const override { return act_; }
    float alpha() const override { return alpha_; }

    uint32_t weight_count() const { return in_ * out_; }  // the bias starts at this offset

    std::string validate() const override;
    void init_params(float* params, Init init, Rng& rng) const override;
    std::unique_ptr<Layer> clone() const override { return std::make_unique<DenseLayer>(*this); }
    void plan_forward(PlanCtx& ctx, const InputRef& in, const LayerSlots& self) const override;
    uint32_t plan_backward(PlanCtx& ctx, const InputRef& in, const LayerSlots& self, uint32_t g,
                           uint32_t spare) const override;

private:
    uint32_t in_;
    uint32_t out_;
    Activation act_;
    float alpha_;
};

}  // namespace lk
