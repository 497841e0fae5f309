#include "core/dense_layer.hpp"

#include <cmath>

#include "core/init.hpp"
#include "core/kernel_builders.hpp"

namespace lk {

DenseLayer::DenseLayer(uint32_t in, uint32_t out, Activation act, float alpha)
    : in_(in), out_(out), act_(act), alpha_(std::isnan(alpha) ? 0.0f : alpha) {
    if (std::isnan(alpha) && static_cast<int>(act) < ACTIVATION_COUNT) {
        alpha_ = activation_info(act).default_alpha;
    }
}

uint32_t DenseLayer::param_count() const { return in_ * out_ + out_; }

std::string DenseLayer::validate() const {
    if (in_ == 0 || out_ == 0) {
        return "dense layer needs input and output widths > 0, got " + std::to_string(in_) + " -> " +
               std::to_string(out_);
    }
    // Offsets are uint32 on both backends (GLSL has no 64-bit indexing without extensions).
    if (uint64_t(in_) * out_ + out_ > UINT32_MAX / 4) {
        return "dense layer " + std::to_string(in_) + " -> " + std::to_string(out_) + " has too many weights";
    }
    if (static_cast<int>(act_) >= ACTIVATION_COUNT) {  // enums are unsigned: only the top can be out
        return "unknown activation id " + std::to_string(static_cast<int>(act_));
    }
    if (!std::isfinite(alpha_)) return "activation alpha must be finite, got " + std::to_string(alpha_);
    return "";
}

void DenseLayer::init_params(float* params, Init init, Rng& rng) const {
    init_weights(params, weight_count(), init, in_, out_, rng);
    // Biases start at zero, as in most references (torch draws a small uniform; zero keeps runs comparable).
    for (uint32_t i = 0; i < out_; ++i) params[weight_count() + i] = 0.0f;
}

void DenseLayer::plan_forward(PlanCtx& ctx, const InputRef& in, const LayerSlots& self) const {
    const uint32_t w = self.param, b = self.param + weight_count();
    if (activation_info(act_).elementwise) {
        ctx.emit(kernels::dense_forward(act_, alpha_, in.y, w, b, self.z, self.y, ctx.rows, out_, in_));
    } else {
        // Row-wise activations cannot be fused into the matmul's per-element epilogue.
        ctx.emit(kernels::dense_forward(Activation::IDENTITY, 0.0f, in.y, w, b, self.z, self.y, ctx.rows, out_, in_));
        ctx.emit(kernels::softmax_rows(self.z, self.y, ctx.rows, out_));
    }
}

uint32_t DenseLayer::plan_backward(PlanCtx& ctx, const InputRef& in, const LayerSlots& self, uint32_t g,
                                   uint32_t spare) const {
    ctx.emit(kernels::weight_grad(g, in.y, self.grad, ctx.rows, out_, in_, false));
    ctx.emit(kernels::bias_grad(g, self.grad + weight_count(), ctx.rows, out_, false));
    if (!in.has_producer) return g;  // first layer: nobody needs dL/dx
    if (activation_info(in.act).elementwise) {
        ctx.emit(kernels::dense_backward_input(in.act, in.alpha, g, self.param, in.z, in.y, spare, ctx.rows, out_, in_,
                                               false));
        return spare;
    }
    // Row-wise producer (softmax): the raw G W, then its derivative in place.
    ctx.emit(kernels::dense_backward_input(Activation::IDENTITY, 0.0f, g, self.param, in.z, in.y, spare, ctx.rows,
                                           out_, in_, false));
    plan_activation_backward(ctx, in.act, in.alpha, in.z, in.y, spare, spare, in_);
    return spare;
}

}  // namespace lk
