#include "core/model.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include "core/rng.hpp"
#include "core/sizes.hpp"

namespace lk {

namespace {
uint64_t next_model_id() {
    static std::atomic<uint64_t> counter{1};
    return counter++;
}
// Offsets are 32-bit float indices on both backends (GLSL has no 64-bit indexing without extensions), and a
// training arena also holds the gradients and up to two optimizer states per parameter: parameters get a
// quarter of what one buffer may hold (2^28, 1 GiB of float32), checked before anything is allocated.
constexpr uint64_t kMaxParams = kMaxFloats / 4;
}  // namespace

Model::Model() : id_(next_model_id()) {
    tensors_.push_back(TensorInfo{"input", Shape{}, -1, {}});
    rebuild();
}

Model::Model(const Model& other) : id_(next_model_id()) { *this = other; }

Model& Model::operator=(const Model& other) {
    if (this == &other) return *this;
    std::vector<float> p, b;
    {
        std::lock_guard<std::mutex> lock(other.param_mutex_);
        p = other.params_;
        b = other.buffers_;
    }
    tensors_ = other.tensors_;
    ops_.clear();
    for (const OpNode& n : other.ops_) {
        OpNode c;
        c.name = n.name;
        c.op = n.op->clone();
        c.inputs = n.inputs;
        c.output = n.output;
        c.in_shapes = n.in_shapes;
        c.params = n.params;
        c.offsets = n.offsets;
        ops_.push_back(std::move(c));
    }
    output_ = other.output_;
    error_ = other.error_;
    shape_hash_ = other.shape_hash_;
    std::lock_guard<std::mutex> lock(param_mutex_);
    params_ = std::move(p);
    buffers_ = std::move(b);
    ++version_;  // keep our id (callers hold it), but the contents changed
    return *this;
}

void Model::set_input(const Shape& shape) {
    tensors_[0].shape = shape;
    rebuild();
}

TensorId Model::add(std::unique_ptr<Op> op, std::vector<TensorId> inputs, const std::string& name) {
    const TensorId out = TensorId(tensors_.size());
    if (inputs.empty()) inputs.push_back(out - 1);  // the previous op's output, or the input
    OpNode n;
    n.op = std::move(op);
    n.inputs = std::move(inputs);
    n.output = out;
    if (name.empty()) {
        n.name = std::string(n.op->type()) + "_" + std::to_string(ops_.size());
    } else {
        n.name = name;
    }
    tensors_.push_back(TensorInfo{n.name, Shape{}, int(ops_.size()), {}});
    ops_.push_back(std::move(n));
    rebuild();
    return out;
}

void Model::set_output(TensorId t) {
    output_ = int(t);
    rebuild();
}

void Model::clear() {
    tensors_.resize(1);
    tensors_[0].consumers.clear();
    ops_.clear();
    output_ = -1;
    rebuild();
}

int Model::find_op(const std::string& name) const {
    for (size_t i = 0; i < ops_.size(); ++i) {
        if (ops_[i].name == name) return int(i);
    }
    return -1;
}

TensorId Model::output() const {
    if (output_ >= 0 && size_t(output_) < tensors_.size()) return TensorId(output_);
    return TensorId(tensors_.size() - 1);
}

Shape Model::output_shape() const { return ops_.empty() ? Shape{} : tensors_[output()].shape; }
uint32_t Model::input_width() const {
    const uint64_t n = input_shape().rank ? input_shape().size() : 0;
    return n > UINT32_MAX ? 0 : uint32_t(n);
}
uint32_t Model::output_width() const {
    const Shape s = output_shape();
    const uint64_t n = s.rank ? s.size() : 0;
    return n > UINT32_MAX ? 0 : uint32_t(n);
}

void Model::rebuild() {
    std::string msg;
    auto report = [&msg](const std::string& line) { msg += (msg.empty() ? "" : "\n") + line; };
    std::vector<bool> known(tensors_.size(), false);
    for (auto& t : tensors_) t.consumers.clear();
    known[0] = tensors_[0].shape.rank > 0;
    if (!known[0]) report("the model has no input shape");
    uint64_t n_params = 0, n_buffers = 0;
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over what decides the parameter layout
    auto feed = [&h](uint64_t v) {
        for (int b = 0; b < 8; ++b) h = (h ^ ((v >> (8 * b)) & 0xff)) * 0x100000001b3ull;
    };
    std::vector<bool> named;
    for (size_t i = 0; i < ops_.size(); ++i) {
        OpNode& n = ops_[i];
        const std::string who = "op " + std::to_string(i) + " \"" + n.name + "\" (" + n.op->type() + ")";
        for (size_t j = 0; j < i; ++j) {
            if (ops_[j].name == n.name) report(who + ": the name is already used by op " + std::to_string(j));
        }
        n.in_shapes.clear();
        n.params.clear();
        n.offsets.clear();
        bool inputs_ok = n.inputs.size() == n.op->input_count();
        if (!inputs_ok) {
            report(who + " takes " + std::to_string(n.op->input_count()) + " input(s), got " +
                   std::to_string(n.inputs.size()));
        }
        for (TensorId t : n.inputs) {
            if (t >= n.output) {
                report(who + " reads tensor " + std::to_string(t) + ", which is not produced before it");
                inputs_ok = false;
                continue;
            }
            tensors_[t].consumers.push_back(int(i));
            inputs_ok = inputs_ok && known[t];
            n.in_shapes.push_back(tensors_[t].shape);
        }
        if (!inputs_ok) continue;  // its inputs are already reported
        Shape out;
        std::string e;
        if (!n.op->infer(n.in_shapes, &out, &e)) {
            report(who + ": " + e);
            continue;
        }
        if (out.size() > UINT32_MAX / 64) {
            report(who + " outputs " + std::to_string(out.size()) + " values per row, more than offsets can address");
            continue;
        }
        tensors_[n.output].shape = out;
        known[n.output] = true;
        n.params = n.op->params(n.in_shapes);
        for (const ParamDesc& p : n.params) {
            uint64_t& total = p.trainable ? n_params : n_buffers;
            n.offsets.push_back(size_t(std::min<uint64_t>(total, SIZE_MAX / 2)));
            total += std::min<uint64_t>(p.shape.size(), kMaxParams + 1);
            feed(p.shape.size());
            feed(p.trainable);
        }
        for (const char* c = n.op->type(); *c; ++c) feed(uint8_t(*c));
        for (const Shape& s : n.in_shapes) feed(s.size());
    }
    if (ops_.empty()) report("the model has no ops");
    if (output_ >= int(tensors_.size())) report("the output tensor " + std::to_string(output_) + " does not exist");
    if (n_params + n_buffers > kMaxParams) {
        report("the model has " + std::to_string(n_params + n_buffers) +
               " parameters and buffers, more than offsets can address (" + std::to_string(kMaxParams) + ")");
    }
    shape_hash_ = h;
    if (msg.empty()) {
        // Ops are only ever appended, so the existing values keep their offsets.
        std::lock_guard<std::mutex> lock(param_mutex_);
        try {
            params_.resize(size_t(n_params), 0.0f);
            buffers_.resize(size_t(n_buffers), 0.0f);
        } catch (const std::bad_alloc&) {
            report("out of host memory for " + std::to_string(n_params + n_buffers) + " parameters");
        }
        ++version_;
    }
    error_ = msg;
}

float* Model::mutable_params() {
    ++version_;
    return params_.data();
}

float* Model::mutable_buffers() {
    ++version_;
    return buffers_.data();
}

const float* Model::param_data(size_t op, size_t k) const {
    const OpNode& n = ops_[op];
    return (n.params[k].trainable ? params_.data() : buffers_.data()) + n.offsets[k];
}

float* Model::mutable_param_data(size_t op, size_t k) {
    const OpNode& n = ops_[op];
    return (n.params[k].trainable ? mutable_params() : mutable_buffers()) + n.offsets[k];
}

std::string Model::init(const InitSpec& init, uint64_t seed) {
    if (!error_.empty()) return error_;
    for (const OpNode& n : ops_) {  // all or nothing: refuse before drawing anything
        if (std::string e = n.op->init_check(n.in_shapes, init); !e.empty()) return "op '" + n.name + "': " + e;
    }
    std::lock_guard<std::mutex> lock(param_mutex_);
    uint64_t k = 0;
    for (size_t i = 0; i < ops_.size(); ++i) {
        OpNode& n = ops_[i];
        if (n.params.empty()) continue;
        ParamInit p;
        bool trainable = false;
        for (size_t j = 0; j < n.params.size(); ++j) {
            p.values.push_back(mutable_param_data(i, j));
            trainable = trainable || n.params[j].trainable;
        }
        Rng rng(Rng::mix(seed, k));
        if (trainable) ++k;
        n.op->init(n.in_shapes, p, init, rng);
    }
    return "";
}

}  // namespace lk
