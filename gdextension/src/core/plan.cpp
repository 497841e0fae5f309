#include "core/plan.hpp"

#include <utility>

#include "core/kernel_builders.hpp"

namespace lk {

// What layer i sees as its input: the batch for the first layer, else the previous layer's output.
static InputRef input_of(const Network& net, const ArenaLayout& layout, size_t i) {
    InputRef in;
    if (i == 0) {
        in.y = layout.batch_x;
        return in;
    }
    const Layer& prev = net.layer(i - 1);
    in.y = layout.layers[i - 1].y;
    in.z = layout.layers[i - 1].z;
    in.act = prev.activation();
    in.alpha = prev.alpha();
    in.has_producer = true;
    return in;
}

static void forward_layers(const Network& net, const ArenaLayout& layout, PlanCtx& ctx) {
    for (size_t i = 0; i < net.layer_count(); ++i) {
        net.layer(i).plan_forward(ctx, input_of(net, layout, i), layout.layers[i]);
    }
}

void plan_forward(const Network& net, const ArenaLayout& layout, uint32_t rows, std::vector<KernelCall>* calls) {
    PlanCtx ctx{calls, rows};
    forward_layers(net, layout, ctx);
}

bool loss_is_fused(const Network& net, Loss loss) {
    return net.layer_count() > 0 && net.layer(net.layer_count() - 1).activation() == loss_info(loss).fused_activation;
}

void plan_train_step(const Network& net, const ArenaLayout& layout, const StepPlan& step,
                     std::vector<KernelCall>* calls) {
    PlanCtx ctx{calls, step.rows};
    const uint32_t in_w = net.input_width(), out_w = net.output_width();
    if (step.gather) {
        ctx.emit(kernels::gather_rows(layout.data_x, layout.batch_x, layout.perm, step.perm_start, step.rows, in_w));
        ctx.emit(kernels::gather_rows(layout.data_t, layout.batch_t, layout.perm, step.perm_start, step.rows, out_w));
    }
    forward_layers(net, layout, ctx);

    // Loss: leaves dL/dz of the output layer in g.
    const size_t last = net.layer_count() - 1;
    const Layer& out_layer = net.layer(last);
    const LayerSlots& os = layout.layers[last];
    uint32_t g = layout.scratch[0], spare = layout.scratch[1];
    const bool fused = step.allow_fused && loss_is_fused(net, step.loss);
    ctx.emit(kernels::loss(step.loss, fused, os.y, os.z, layout.batch_t, g, layout.loss + step.loss_slot, step.rows,
                           out_w));
    if (!fused && out_layer.activation() != Activation::IDENTITY) {  // identity: dL/dy is already dL/dz
        plan_activation_backward(ctx, out_layer.activation(), out_layer.alpha(), os.z, os.y, g, g, out_w);
    }

    // Backward, last layer first; each layer says which scratch buffer now holds its producer's dL/dz.
    for (size_t i = net.layer_count(); i-- > 0;) {
        const uint32_t next = net.layer(i).plan_backward(ctx, input_of(net, layout, i), layout.layers[i], g, spare);
        if (next != g) std::swap(g, spare);
    }

    if (!step.update) return;
    if (step.hyper.max_norm > 0.0f) {
        ctx.emit(kernels::grad_sumsq(layout.grads, layout.param_count, layout.partials));
    }
    ctx.emit(kernels::optimizer_step(step.optimizer, step.hyper, layout.params, layout.grads, layout.state,
                                     layout.param_count, layout.partials));
}

}  // namespace lk
