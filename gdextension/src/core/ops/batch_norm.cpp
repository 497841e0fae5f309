// batch_norm: batch normalisation over the features of (N, features) tensors (torch.nn.BatchNorm1d). Train mode
// normalises with the batch's mean and biased variance and updates the buffers running_mean and running_var
// (unbiased variance, momentum as torch: new = (1 - momentum) old + momentum batch); eval mode uses the
// buffers. Affine (default): trainable "weight" (gamma, ones) and "bias" (beta, zeros), torch's names.
#include "core/kernel_builders.hpp"
#include "core/op_registry.hpp"

namespace lk {
namespace {

class BatchNorm final : public Op {
public:
    BatchNorm(float eps, float momentum, bool affine) : eps_(eps), momentum_(momentum), affine_(affine) {}

    const char* type() const override { return "batch_norm"; }
    bool infer(const std::vector<Shape>& in, Shape* out, std::string* err) const override {
        if (in[0].rank != 1) {
            *err = "normalises features (N, features), got " + in[0].str();
            return false;
        }
        *out = in[0];
        return true;
    }
    std::vector<ParamDesc> params(const std::vector<Shape>& in) const override {
        std::vector<ParamDesc> p;
        if (affine_) {
            p.push_back({"weight", in[0], true});
            p.push_back({"bias", in[0], true});
        }
        p.push_back({"running_mean", in[0], false});
        p.push_back({"running_var", in[0], false});
        return p;
    }
    void init(const std::vector<Shape>& in, ParamInit& p, const InitSpec&, Rng&) const override {
        const uint32_t n = in[0].dims[0];
        const size_t k = affine_ ? 2 : 0;
        for (uint32_t i = 0; i < n; ++i) {
            if (affine_) {
                p.values[0][i] = 1.0f;
                p.values[1][i] = 0.0f;
            }
            p.values[k][i] = 0.0f;
            p.values[k + 1][i] = 1.0f;
        }
    }
    uint64_t scratch_floats(const std::vector<Shape>& in, uint32_t) const override { return 2u * in[0].dims[0]; }
    Attrs attrs() const override {
        Attrs a;
        a.set("eps", double(eps_));
        a.set("momentum", double(momentum_));
        a.set("affine", affine_ ? 1.0 : 0.0);
        return a;
    }
    std::unique_ptr<Op> clone() const override { return std::make_unique<BatchNorm>(*this); }

    void forward(const ForwardCtx& c) const override {
        const uint32_t cols = c.out_shape.dims[0];
        const uint32_t gamma = affine_ ? c.param[0] : 0, beta = affine_ ? c.param[1] : 0;
        const size_t k = affine_ ? 2 : 0;
        if (c.mode == Mode::TRAIN) {
            c.emit(kernels::batchnorm_forward_train(c.in[0], gamma, beta, c.out, c.scratch, c.scratch + cols,
                                                    c.param[k], c.param[k + 1], c.rows, cols, eps_, momentum_,
                                                    affine_));
        } else {
            c.emit(kernels::batchnorm_forward_eval(c.in[0], gamma, beta, c.out, c.param[k], c.param[k + 1], c.rows,
                                                   cols, eps_, affine_));
        }
    }
    void backward(const BackwardCtx& c) const override {
        // Only the train-mode forward has a backward here (sessions always train in train mode).
        const uint32_t cols = c.out_shape.dims[0];
        const bool params = affine_ && c.g_param[0] != kNoSlot;
        if (c.g_in[0] == kNoSlot && !params) return;
        c.emit(kernels::batchnorm_backward(c.g_out, c.in[0], affine_ ? c.param[0] : 0, c.scratch, c.scratch + cols,
                                           c.g_in[0], params ? c.g_param[0] : kNoSlot,
                                           params ? c.g_param[1] : kNoSlot, c.rows, cols, affine_,
                                           c.g_in[0] != kNoSlot && c.g_in_acc[0], params && c.g_param_acc[0]));
    }

private:
    float eps_, momentum_;
    bool affine_;
};

std::unique_ptr<Op> make_batch_norm(const Attrs& attrs, std::string* err) {
    AttrReader r("batch_norm", attrs);
    const double eps = r.number("eps", 1e-5, 1e-30, 1.0);
    const double momentum = r.number("momentum", 0.1, 0.0, 1.0);
    const bool affine = r.flag("affine", true);
    *err = r.finish();
    if (!err->empty()) return nullptr;
    return std::make_unique<BatchNorm>(float(eps), float(momentum), affine);
}

}  // namespace

LK_REGISTER_OP(batch_norm, make_batch_norm,
               "Batch normalisation over features (torch.nn.BatchNorm1d), running statistics as buffers.");

}  // namespace lk
