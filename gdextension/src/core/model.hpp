// A model: a graph of ops over named tensors, plus the host copy of every op's parameters and buffers.
//
// Tensor 0 is the graph's input; every op appends one output tensor. Ops are kept in the order they were added,
// which is a topological order (an op can only read tensors that exist), so the planner walks them as stored.
// A sequence is the common case (add() without inputs reads the previous op's output); skip connections read
// any earlier tensor (add(op, {a, b})).
//
// The host copy is the source of truth between calls: a session uploads it at the start of a call and
// downloads it at the end, so the model can be saved, copied or edited from Godot at any time without touching
// a device. Trainable parameters are one contiguous block (the optimizer updates it in one kernel), buffers
// (running statistics) another.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/op.hpp"

namespace lk {

using TensorId = uint32_t;

struct TensorInfo {
    std::string name;             // "input", or the producing op's name
    Shape shape;                  // valid when the model validates
    int producer = -1;            // op index; -1 for the graph input
    std::vector<int> consumers;   // op indices reading it, in order
};

struct OpNode {
    std::string name;             // unique in the model: "dense_0", "activation_1", ... or the caller's
    std::unique_ptr<Op> op;
    std::vector<TensorId> inputs;
    TensorId output = 0;
    std::vector<Shape> in_shapes;
    std::vector<ParamDesc> params;
    std::vector<size_t> offsets;  // per param: offset into params() (trainable) or buffers() (not)
};

class Model {
public:
    Model();
    Model(const Model& other);  // deep copy: ops cloned, new id
    Model& operator=(const Model& other);
    Model(Model&& other) noexcept = delete;

    // ---- building (problems are collected and reported by validate(), so the API can name all of them)
    void set_input(const Shape& shape);
    // Appends an op reading `inputs` (empty: the previous op's output, or the graph input for the first op) and
    // returns its output tensor. name "" picks "<type>_<index>". Parameters of the new op start at zero.
    TensorId add(std::unique_ptr<Op> op, std::vector<TensorId> inputs = {}, const std::string& name = "");
    void set_output(TensorId t);  // default: the last op's output
    void clear();

    size_t op_count() const { return ops_.size(); }
    const OpNode& node(size_t i) const { return ops_[i]; }
    const Op& op(size_t i) const { return *ops_[i].op; }
    int find_op(const std::string& name) const;  // -1 when absent
    size_t tensor_count() const { return tensors_.size(); }
    const TensorInfo& tensor(TensorId t) const { return tensors_[t]; }
    TensorId output() const;
    const Shape& input_shape() const { return tensors_[0].shape; }
    Shape output_shape() const;
    uint32_t input_width() const;   // input_shape().size() (0 when unset)
    uint32_t output_width() const;  // output_shape().size() (0 when empty)

    // "" when the model can run, else every problem found, one per line, naming the op.
    const std::string& validate() const { return error_; }

    // ---- parameters. All trainable parameters, op after op, each in its op's layout (dense: W out x in
    // row-major, then b), and all buffers likewise.
    size_t param_count() const { return params_.size(); }
    size_t buffer_count() const { return buffers_.size(); }
    const std::vector<float>& params() const { return params_; }
    const std::vector<float>& buffers() const { return buffers_; }
    float* mutable_params();   // bump params_version(); sessions write downloads through these
    float* mutable_buffers();
    // Parameter k of op i: its values (trainable in params(), else buffers()).
    const float* param_data(size_t op, size_t k) const;
    float* mutable_param_data(size_t op, size_t k);

    // Deterministic: the k-th op with trainable parameters draws from its own stream Rng::mix(seed, k), so the
    // same seed gives the same values everywhere, and an op's values depend only on (seed, k, its shapes).
    // Returns "" or why the initializer cannot fill some parameter (then nothing changed).
    std::string init(const InitSpec& init, uint64_t seed);

    // Changes whenever the parameter layout changes; sessions reset optimizer state on a change.
    uint64_t shape_hash() const { return shape_hash_; }
    uint64_t id() const { return id_; }
    // Read without the lock by sessions deciding whether to upload (see Session::begin), hence atomic.
    uint64_t params_version() const { return version_.load(); }

    // Thread safety. Host parameters are read and written under param_mutex() (sessions copy them in and out
    // in short critical sections), so a predict on one thread sees either the parameters before or after a
    // fit running on another, never a mix. One training call at a time per model: begin_training() fails when
    // another call (on any thread, or re-entrant from a signal handler) is training it.
    std::mutex& param_mutex() const { return param_mutex_; }
    bool begin_training() { return !training_.exchange(true); }
    void end_training() { training_.store(false); }
    bool is_training() const { return training_.load(); }

private:
    void rebuild();

    std::vector<TensorInfo> tensors_;
    std::vector<OpNode> ops_;
    int output_ = -1;  // explicit output tensor, -1: the last op's
    std::vector<float> params_, buffers_;
    std::string error_;
    uint64_t shape_hash_ = 0;
    uint64_t id_;
    std::atomic<uint64_t> version_{0};
    mutable std::mutex param_mutex_;
    std::atomic<bool> training_{false};
};

}  // namespace lk
