#include "core/layer.hpp"

#include "core/kernel_builders.hpp"

namespace lk {

void plan_activation_backward(PlanCtx& ctx, Activation act, float alpha, uint32_t z, uint32_t y, uint32_t g,
                              uint32_t out, uint32_t width) {
    if (activation_info(act).elementwise) {
        ctx.emit(kernels::act_backward(act, alpha, g, z, y, out, ctx.rows * width, false));
    } else {  // softmax, the only row-wise activation so far
        ctx.emit(kernels::softmax_backward(g, y, out, ctx.rows, width, false));
    }
}

}  // namespace lk
