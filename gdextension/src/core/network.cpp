#include "core/network.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "core/dense_layer.hpp"
#include "core/rng.hpp"

namespace lk {

static uint64_t next_network_id() {
    static std::atomic<uint64_t> counter{1};
    return counter++;
}

Network::Network() : id_(next_network_id()) {}

Network::Network(const Network& other)
    : offsets_(other.offsets_), params_(other.params_), id_(next_network_id()), version_(0) {
    for (const auto& l : other.layers_) layers_.push_back(l->clone());
}

Network& Network::operator=(const Network& other) {
    if (this == &other) return *this;
    layers_.clear();
    for (const auto& l : other.layers_) layers_.push_back(l->clone());
    offsets_ = other.offsets_;
    params_ = other.params_;
    ++version_;  // keep our id (callers hold it), but the contents changed
    return *this;
}

Network::Network(Network&& other) noexcept
    : layers_(std::move(other.layers_)),
      offsets_(std::move(other.offsets_)),
      params_(std::move(other.params_)),
      id_(other.id_),
      version_(other.version_) {
    other.layers_.clear();
    other.offsets_.clear();
    other.params_.clear();
    other.id_ = next_network_id();
}

Network& Network::operator=(Network&& other) noexcept {
    if (this == &other) return *this;
    layers_ = std::move(other.layers_);
    offsets_ = std::move(other.offsets_);
    params_ = std::move(other.params_);
    id_ = other.id_;
    version_ = other.version_;
    other.layers_.clear();
    other.offsets_.clear();
    other.params_.clear();
    other.id_ = next_network_id();
    return *this;
}

void Network::add(std::unique_ptr<Layer> layer) {
    offsets_.push_back(params_.size());
    // An invalid layer may report a huge count; validate() reports it, so do not try to allocate it here.
    const uint32_t n = layer->validate().empty() ? layer->param_count() : 0;
    params_.resize(params_.size() + n, 0.0f);
    layers_.push_back(std::move(layer));
    ++version_;
}

void Network::add_dense(uint32_t in, uint32_t out, Activation act, float alpha) {
    add(std::make_unique<DenseLayer>(in, out, act, alpha));
}

void Network::clear() {
    layers_.clear();
    offsets_.clear();
    params_.clear();
    ++version_;
}

uint32_t Network::input_width() const { return layers_.empty() ? 0 : layers_.front()->input_width(); }
uint32_t Network::output_width() const { return layers_.empty() ? 0 : layers_.back()->output_width(); }

uint32_t Network::max_width() const {
    uint32_t w = input_width();
    for (const auto& l : layers_) w = std::max(w, l->output_width());
    return w;
}

float* Network::mutable_params() {
    ++version_;
    return params_.data();
}

bool Network::set_params(const float* values, size_t n, std::string* err) {
    if (n != params_.size()) {
        if (err) *err = "expected " + std::to_string(params_.size()) + " parameters, got " + std::to_string(n);
        return false;
    }
    if (n) std::memcpy(mutable_params(), values, n * sizeof(float));
    return true;
}

static bool check_layer_index(size_t layer, size_t count, std::string* err) {
    if (layer < count) return true;
    if (err) *err = "layer index " + std::to_string(layer) + " out of range, the network has " +
                    std::to_string(count) + " layers";
    return false;
}

bool Network::get_layer_params(size_t layer, std::vector<float>* out, std::string* err) const {
    if (!check_layer_index(layer, layers_.size(), err)) return false;
    const size_t end = layer + 1 < offsets_.size() ? offsets_[layer + 1] : params_.size();
    out->assign(params_.begin() + offsets_[layer], params_.begin() + end);
    return true;
}

bool Network::set_layer_params(size_t layer, const float* values, size_t n, std::string* err) {
    if (!check_layer_index(layer, layers_.size(), err)) return false;
    const size_t expected = (layer + 1 < offsets_.size() ? offsets_[layer + 1] : params_.size()) - offsets_[layer];
    if (n != expected) {
        if (err) *err = "layer " + std::to_string(layer) + " (" + layers_[layer]->type_name() + ") has " +
                        std::to_string(expected) + " parameters, got " + std::to_string(n);
        return false;
    }
    if (n) std::memcpy(mutable_params() + offsets_[layer], values, n * sizeof(float));
    return true;
}

void Network::init(Init init, uint64_t seed) {
    float* p = mutable_params();
    for (size_t i = 0; i < layers_.size(); ++i) {
        if (!layers_[i]->validate().empty()) continue;  // no storage was reserved for it
        Rng rng(Rng::mix(seed, i));
        layers_[i]->init_params(p + offsets_[i], init, rng);
    }
}

std::string Network::validate() const {
    if (layers_.empty()) return "the network has no layers";
    std::string msg;
    auto report = [&msg](const std::string& line) { msg += (msg.empty() ? "" : "\n") + line; };
    for (size_t i = 0; i < layers_.size(); ++i) {
        const std::string e = layers_[i]->validate();
        if (!e.empty()) report("layer " + std::to_string(i) + ": " + e);
        if (i + 1 < layers_.size() && layers_[i]->output_width() != layers_[i + 1]->input_width()) {
            report("layer " + std::to_string(i) + " outputs " + std::to_string(layers_[i]->output_width()) +
                   " values but layer " + std::to_string(i + 1) + " expects " +
                   std::to_string(layers_[i + 1]->input_width()));
        }
    }
    if (msg.empty() && params_.size() > UINT32_MAX / 4) {
        report("the network has " + std::to_string(params_.size()) + " parameters, more than offsets can address");
    }
    return msg;
}

uint64_t Network::shape_hash() const {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
    auto feed = [&h](uint64_t v) {
        for (int b = 0; b < 8; ++b) h = (h ^ ((v >> (8 * b)) & 0xff)) * 0x100000001b3ull;
    };
    for (const auto& l : layers_) {
        for (const char* c = l->type_name(); *c; ++c) feed(uint8_t(*c));
        feed(l->input_width());
        feed(l->output_width());
        feed(l->param_count());
    }
    return h;
}

}  // namespace lk

