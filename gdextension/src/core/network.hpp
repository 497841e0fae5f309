// An ordered stack of layers plus the host copy of all their parameters. The host copy is the source of truth
// between calls: the trainer uploads it at the start of a call and downloads it at the end, so the network can
// be saved, copied or edited from Godot at any time without touching a device.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/layer.hpp"

namespace lk {

class Network {
public:
    Network();
    Network(const Network& other);  // deep copy: layers cloned, new id
    Network& operator=(const Network& other);
    // Moves hand the id over and give the moved-from object a fresh one, so two live networks never share an
    // id (the trainer's device cache is keyed on it).
    Network(Network&& other) noexcept;
    Network& operator=(Network&& other) noexcept;

    // Appends a layer; its parameters are zero until init() or set_layer_params(). Call validate() after
    // building: add() accepts anything so the API layer can report every problem in one message.
    void add(std::unique_ptr<Layer> layer);
    void add_dense(uint32_t in, uint32_t out, Activation act = Activation::IDENTITY, float alpha = NAN);
    void clear();

    size_t layer_count() const { return layers_.size(); }
    const Layer& layer(size_t i) const { return *layers_[i]; }
    uint32_t input_width() const;   // 0 when empty
    uint32_t output_width() const;  // 0 when empty
    uint32_t max_width() const;     // widest of the input and every layer output (sizes gradient scratch)

    // All parameters, layer after layer, each in its layer's layout (dense: W out x in row-major, then b).
    size_t param_count() const { return params_.size(); }
    size_t param_offset(size_t layer) const { return offsets_[layer]; }
    const std::vector<float>& params() const { return params_; }
    float* mutable_params();  // bumps params_version(); the trainer writes downloads through this
    bool set_params(const float* values, size_t n, std::string* err);
    bool get_layer_params(size_t layer, std::vector<float>* out, std::string* err) const;
    bool set_layer_params(size_t layer, const float* values, size_t n, std::string* err);

    // Deterministic: layer i draws from its own stream Rng::mix(seed, i), so the same seed gives the same
    // parameters on every platform, and a layer's values depend only on (seed, index, its shape).
    void init(Init init, uint64_t seed);

    // "" when the network can be trained, else every problem found, one per line, naming the layer index.
    std::string validate() const;

    // Changes whenever the parameter layout changes (layer kinds and widths); the trainer resets optimizer
    // state on a change. Activations are not part of it: they do not move any parameter.
    uint64_t shape_hash() const;
    // Unique per Network object (copies get a new one) and a counter of host-side parameter writes: together
    // they let the trainer skip re-uploading parameters the device already holds.
    uint64_t id() const { return id_; }
    uint64_t params_version() const { return version_; }

private:
    std::vector<std::unique_ptr<Layer>> layers_;
    std::vector<size_t> offsets_;
    std::vector<float> params_;
    uint64_t id_;
    uint64_t version_ = 0;
};

}  // namespace lk
