// add: y = a + b, two tensors of the same shape (the join of a residual block: add(x, f(x))). Its backward
// passes dL/dy on to both inputs, accumulating into whatever else they feed.
#include "core/kernel_builders.hpp"
#include "core/op_registry.hpp"

namespace lk {
namespace {

class Add final : public Op {
public:
    const char* type() const override { return "add"; }
    size_t input_count() const override { return 2; }
    bool infer(const std::vector<Shape>& in, Shape* out, std::string* err) const override {
        if (in[0] != in[1]) {
            *err = "adds tensors of the same shape, got " + in[0].str() + " and " + in[1].str();
            return false;
        }
        *out = in[0];
        return true;
    }
    Attrs attrs() const override { return Attrs(); }
    std::unique_ptr<Op> clone() const override { return std::make_unique<Add>(*this); }

    void forward(const ForwardCtx& c) const override {
        c.emit(kernels::add(c.in[0], c.in[1], c.out, uint32_t(uint64_t(c.rows) * c.out_shape.size())));
    }
    void backward(const BackwardCtx& c) const override {
        const uint32_t count = uint32_t(uint64_t(c.rows) * c.out_shape.size());
        for (size_t i = 0; i < 2; ++i) {
            if (c.g_in[i] != kNoSlot) c.emit(kernels::copy(c.g_out, c.g_in[i], count, c.g_in_acc[i]));
        }
    }
};

std::unique_ptr<Op> make_add(const Attrs& attrs, std::string* err) {
    AttrReader r("add", attrs);
    *err = r.finish();
    if (!err->empty()) return nullptr;
    return std::make_unique<Add>();
}

}  // namespace

LK_REGISTER_OP(add, make_add, "Elementwise sum of two tensors of the same shape (residual connections).");

}  // namespace lk
