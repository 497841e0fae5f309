// A replay buffer for online learning: the most recent `capacity` (input row, target row) pairs, in a ring
// (the oldest pair is overwritten when full), and seeded uniform sampling with replacement. Godot-free; the
// GDScript face is api/replay_buffer.hpp, and LKBrain trains from one a few steps per frame.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lk {

class ReplayBuffer {
public:
    // At most 2^24 pairs: a ring that large is a dataset, better trained with fit().
    static constexpr size_t kMaxCapacity = size_t(1) << 24;

    size_t capacity() const { return capacity_; }
    size_t size() const { return count_; }
    size_t input_width() const { return xw_; }
    size_t target_width() const { return tw_; }

    // Keeps the newest min(size, capacity) pairs, in order. "" or what is wrong (nothing changes then).
    std::string set_capacity(int64_t capacity);
    // Appends rows pairs (rows x xw inputs, rows x tw targets), overwriting the oldest when full. The first pair
    // after clear() fixes both widths; a different width later, or a NaN/Inf value, is refused with nothing
    // added. "" or what is wrong.
    std::string add(const float* x, size_t xw, const float* t, size_t tw, size_t rows);
    void clear();

    // Pair i in age order (0 = the oldest kept).
    const float* input(size_t i) const { return &x_[slot(i) * xw_]; }
    const float* target(size_t i) const { return &t_[slot(i) * tw_]; }

    // Indices (age order) of `batch` pairs drawn uniformly WITH replacement: the k-th is
    // floor(splitmix64_k(seed) * size / 2^64), where splitmix64_k is the k-th output of Vigna's SplitMix64
    // generator started at seed. The same seed and buffer give the same sample on every machine.
    std::vector<uint32_t> sample_indices(size_t batch, uint64_t seed) const;
    // The pairs of those indices as two row-major matrices.
    void gather(const std::vector<uint32_t>& indices, std::vector<float>* X, std::vector<float>* T) const;

private:
    size_t slot(size_t i) const { return (head_ + i) % capacity_; }
    size_t capacity_ = 1024, count_ = 0, head_ = 0;  // head_: the oldest pair's slot (0 until the ring is full)
    size_t xw_ = 0, tw_ = 0;
    std::vector<float> x_, t_;  // grown as pairs arrive (never the whole capacity up front), slot-major
};

}  // namespace lk
