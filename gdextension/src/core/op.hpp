// An op is one node of a model's graph: it reads input tensors, writes one output tensor, and may own named
// parameters (trainable: weight, bias, gamma, beta) and buffers (not trained: running_mean, running_var).
// It owns no memory: the planner hands it arena offsets and it records kernel calls into a plan.
//
// Adding an op kind = one file in core/ops/ that subclasses Op and registers itself by type name
// (LK_REGISTER_OP, see op_registry.hpp), plus its kernels and tests. Nothing else changes: the model, the
// planner (which fuses an elementwise activation into a preceding dense op) and both backends are generic.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/attrs.hpp"
#include "core/kernel_call.hpp"
#include "core/shape.hpp"
#include "kernels/initializers.hpp"
#include "kernels/kernels.hpp"

namespace lk {

class Rng;

// "No slot": a gradient nobody needs (the graph's input), or an absent parameter.
constexpr uint32_t kNoSlot = 0xFFFFFFFFu;

enum class Mode : uint8_t { TRAIN, EVAL };

struct ParamDesc {
    std::string name;  // unique within the op: "weight", "bias", "running_mean"
    Shape shape;
    bool trainable = true;  // false: a buffer (saved with the model, never updated by the optimizer)
};

// One op's parameters in host memory while initialising: values[k] points at param k (params() order).
struct ParamInit {
    std::vector<float*> values;
};

// What an op sees while recording its forward pass.
struct ForwardCtx {
    std::vector<KernelCall>* calls = nullptr;
    uint32_t rows = 0;                 // batch rows of this plan
    Mode mode = Mode::EVAL;
    uint64_t seed = 0;                 // the step's seed (dropout): Rng::mix(session seed, step number)
    uint32_t op_index = 0;             // this op's index in the model
    std::vector<uint32_t> in;          // input values, rows x in_shapes[i].size() each
    std::vector<Shape> in_shapes;
    uint32_t out = 0;                  // output value, rows x out_shape.size()
    Shape out_shape;
    std::vector<uint32_t> param;       // one offset per ParamDesc (params or buffers region)
    uint32_t scratch = kNoSlot;        // scratch_floats() floats kept from forward to backward

    void emit(const KernelCall& c) const { calls->push_back(c); }
};

// The planner's fusion of an input's activation into this op's input gradient (see Op::can_fold_input_activation):
// instead of dL/d(input) the op writes dL/dz = dL/d(input) * act'(z, input), z the activation's own input.
struct FoldedActivation {
    bool on = false;
    Activation act = Activation::IDENTITY;
    ActParams params;
    uint32_t z = 0;  // the activation's input values
};

// What an op sees while recording its backward pass. Gradients accumulate: *_acc says whether a gradient
// already holds contributions of this step (then a kernel adds to it) or not (then it writes).
struct BackwardCtx : ForwardCtx {
    uint32_t g_out = 0;                // dL/d(output), rows x out_shape.size()
    std::vector<uint32_t> g_in;        // dL/d(input i) (or dL/dz, see fold), or kNoSlot when not needed
    std::vector<bool> g_in_acc;
    std::vector<FoldedActivation> fold;  // per input
    std::vector<uint32_t> g_param;     // dL/d(param k) for trainable params, kNoSlot for buffers
    std::vector<bool> g_param_acc;
};

class Op {
public:
    virtual ~Op() = default;

    virtual const char* type() const = 0;       // registry name: "dense", "activation", "add", ...
    virtual size_t input_count() const { return 1; }
    // The output shape from the input shapes, or "" and *err set (the model prefixes the op's name).
    virtual bool infer(const std::vector<Shape>& in, Shape* out, std::string* err) const = 0;
    // Named parameters and buffers for these input shapes, in storage order.
    virtual std::vector<ParamDesc> params(const std::vector<Shape>& in) const { return {}; }
    // Initial values of every param and buffer (trainable ones from the model's initializer and its parameters).
    virtual void init(const std::vector<Shape>& in, ParamInit& p, const InitSpec& init, Rng& rng) const {}
    // "" when init() can apply this initializer in reasonable time (orthogonal's QR of a huge matrix cannot).
    virtual std::string init_check(const std::vector<Shape>& in, const InitSpec& init) const { return ""; }
    // Floats the forward pass saves for the backward pass (batch statistics), for `rows` rows.
    virtual uint64_t scratch_floats(const std::vector<Shape>& in, uint32_t rows) const { return 0; }
    // Forward multiply-adds per batch row (for choosing CPU or GPU).
    virtual uint64_t macs_per_row(const std::vector<Shape>& in, const Shape& out) const { return out.size(); }
    // The settings the registry rebuilds this op from (files, get_layers()).
    virtual Attrs attrs() const = 0;
    virtual std::unique_ptr<Op> clone() const = 0;

    virtual void forward(const ForwardCtx& c) const = 0;
    virtual void backward(const BackwardCtx& c) const = 0;

    // ---- hooks of the planner's fusion pass (a plan optimisation: the unfused path must give the same numbers)
    // An activation op says which activation it applies, with its parameters. Others: false.
    virtual bool activation(Activation* act, ActParams* params) const { return false; }
    // An op that can apply an elementwise activation to its output in its own kernel's epilogue (dense) says so,
    // and forward_with_activation() records its forward pass writing its output to c.out and act(output) to y.
    virtual bool can_fuse_output_activation() const { return false; }
    virtual void forward_with_activation(const ForwardCtx& c, Activation act, const ActParams& params,
                                         uint32_t y) const {}
    // true: backward() honours BackwardCtx::fold for input `i` (multiplies in an elementwise derivative).
    virtual bool can_fold_input_activation(size_t i) const { return false; }
};

}  // namespace lk
