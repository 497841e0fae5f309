// The `activation` op for a custom activation (core/custom_activation.hpp): the registered name and its
// parameters are its settings, so a model saves it by name; it runs as standalone act_forward / act_backward
// kernels of its own ids. It does not report an activation to the planner, which therefore never fuses it
// into a GEMM epilogue or a loss.
#include <algorithm>

#include "core/custom_activation.hpp"
#include "kernels/kernel_slots.hpp"

namespace lk {
namespace {

uint32_t groups_for(uint64_t count, uint64_t local) {
    return uint32_t(std::clamp<uint64_t>((count + local - 1) / local, 1, 65535));  // grid-stride kernels
}

class CustomActivationOp final : public Op {
public:
    CustomActivationOp(const CustomActivation* act, const ActParams& params) : act_(act), params_(params) {}

    const char* type() const override { return "activation"; }
    bool infer(const std::vector<Shape>& in, Shape* out, std::string* err) const override {
        *out = in[0];
        return true;
    }
    Attrs attrs() const override {
        Attrs a;
        a.set("activation", act_->name);
        for (size_t k = 0; k < act_->param_names.size(); ++k) a.set(act_->param_names[k], double(params_.p[k]));
        return a;
    }
    std::unique_ptr<Op> clone() const override { return std::make_unique<CustomActivationOp>(*this); }

    void forward(const ForwardCtx& c) const override {
        namespace s = slot::act_forward;
        const uint64_t count = uint64_t(c.rows) * c.out_shape.size();
        KernelCall call;
        call.kernel = custom_kernel(act_->id, false);
        call.groups[0] = groups_for(count, s::WORKGROUP_X);
        call.push.u[s::X_OFF] = c.in[0];
        call.push.u[s::Y_OFF] = c.out;
        call.push.u[s::COUNT] = uint32_t(count);
        for (int k = 0; k < ACT_PARAM_SLOTS; ++k) call.push.f[s::ACT_P0 + k] = params_.p[k];
        c.emit(call);
    }
    void backward(const BackwardCtx& c) const override {
        if (c.g_in[0] == kNoSlot) return;
        namespace s = slot::act_backward;
        const uint64_t count = uint64_t(c.rows) * c.out_shape.size();
        KernelCall call;
        call.kernel = custom_kernel(act_->id, true);
        call.groups[0] = groups_for(count, s::WORKGROUP_X);
        call.push.u[s::G_OFF] = c.g_out;
        call.push.u[s::Z_OFF] = c.in[0];
        call.push.u[s::Y_OFF] = c.out;
        call.push.u[s::OUT_OFF] = c.g_in[0];
        call.push.u[s::COUNT] = uint32_t(count);
        call.push.u[s::ACCUMULATE] = c.g_in_acc[0] ? 1u : 0u;
        for (int k = 0; k < ACT_PARAM_SLOTS; ++k) call.push.f[s::ACT_P0 + k] = params_.p[k];
        c.emit(call);
    }

private:
    // The definition this op was built with: registry entries are immutable and live as long as the process, so
    // a later replace or unregister of the name never reaches an existing network (core/custom_activation.hpp).
    const CustomActivation* act_;
    ActParams params_;
};

}  // namespace

std::unique_ptr<Op> make_custom_activation_op(const std::string& name, AttrReader& r, std::string* err) {
    const CustomActivation* act = find_custom_activation(name);
    if (!act) return nullptr;
    ActParams params = act->defaults;
    for (size_t k = 0; k < act->param_names.size(); ++k) {
        params.p[k] = float(r.number(act->param_names[k], act->defaults.p[k], -1e30, 1e30));
    }
    *err = r.finish();
    if (!err->empty()) return nullptr;
    return std::make_unique<CustomActivationOp>(act, params);
}

}  // namespace lk
