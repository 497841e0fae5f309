// LKReplayBuffer: the GDScript face of core/replay_buffer.hpp (a ring of recent (input, target) pairs with seeded
// uniform sampling with replacement), used by LKBrain's online learning and usable on its own with a trainer.
#pragma once
#include "core/replay_buffer.hpp"
#include "godot/extension_object.hpp"

namespace lk::api {

class LKReplayBuffer : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LKReplayBuffer";
    ReplayBuffer buffer;

    int64_t get_capacity() const { return int64_t(buffer.capacity()); }
    void set_capacity(int64_t value);
    int64_t get_size() const { return int64_t(buffer.size()); }
    int64_t get_input_size() const { return int64_t(buffer.input_width()); }
    int64_t get_target_size() const { return int64_t(buffer.target_width()); }

    int64_t add(const gd::Variant& input, const gd::Variant& target);
    int64_t add_batch(const gd::Array& inputs, const gd::Array& targets);
    int64_t add_flat(const gd::PackedFloat32Array& inputs, const gd::PackedFloat32Array& targets, int64_t rows);
    gd::Dictionary sample(int64_t batch_size, int64_t seed) const;
    gd::Array get_inputs() const;
    gd::Array get_targets() const;
    void clear() { buffer.clear(); }

    // The sample as flat matrices (LKBrain's steps); false after an error naming `where`.
    bool sample_flat(int64_t batch_size, uint64_t seed, std::vector<float>* X, std::vector<float>* T,
                     const char* where) const;
};

}  // namespace lk::api
