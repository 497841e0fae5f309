#include "core/replay_buffer.hpp"

#include <algorithm>
#include <cmath>

#include "core/sizes.hpp"

namespace lk {

namespace {
uint64_t splitmix64(uint64_t* state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

bool all_finite(const float* v, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        if (!std::isfinite(v[i])) return false;
    }
    return true;
}
}  // namespace

std::string ReplayBuffer::set_capacity(int64_t capacity) {
    if (capacity < 1 || uint64_t(capacity) > kMaxCapacity) {
        return "capacity is " + std::to_string(capacity) + ": expected 1 to " + std::to_string(kMaxCapacity) +
               " pairs";
    }
    const size_t cap = size_t(capacity);
    const std::string too_big = check_float_count("a replay buffer", cap, std::max(xw_, tw_));
    if (!too_big.empty()) return too_big;
    const size_t keep = std::min(count_, cap);
    std::vector<float> x, t;
    x.reserve(keep * xw_);
    t.reserve(keep * tw_);
    for (size_t i = count_ - keep; i < count_; ++i) {  // the newest `keep`, oldest first
        x.insert(x.end(), input(i), input(i) + xw_);
        t.insert(t.end(), target(i), target(i) + tw_);
    }
    x_.swap(x);
    t_.swap(t);
    capacity_ = cap;
    count_ = keep;
    head_ = 0;
    return "";
}

std::string ReplayBuffer::add(const float* x, size_t xw, const float* t, size_t tw, size_t rows) {
    if (rows == 0) return "";
    if (count_ > 0 && (xw != xw_ || tw != tw_)) {
        return "a pair of " + std::to_string(xw) + " input and " + std::to_string(tw) + " target values: the buffer " +
               "holds pairs of " + std::to_string(xw_) + " and " + std::to_string(tw_) + " (clear() it to change)";
    }
    if (xw == 0 || tw == 0) return "an empty input or target row: expected at least one value each";
    const std::string too_big = check_float_count("a replay buffer", capacity_, std::max(xw, tw));
    if (!too_big.empty()) return too_big;
    for (size_t r = 0; r < rows; ++r) {
        if (!all_finite(x + r * xw, xw) || !all_finite(t + r * tw, tw)) {
            return "pair " + std::to_string(r) + " holds NaN or Inf: expected finite numbers (nothing was added)";
        }
    }
    xw_ = xw;
    tw_ = tw;
    for (size_t r = 0; r < rows; ++r) {
        const float* xr = x + r * xw;
        const float* tr = t + r * tw;
        if (count_ < capacity_) {  // still filling: slots 0..count_-1 in order, head_ stays 0
            x_.insert(x_.end(), xr, xr + xw);
            t_.insert(t_.end(), tr, tr + tw);
            ++count_;
        } else {  // full: overwrite the oldest, which makes the next one the oldest
            std::copy(xr, xr + xw, x_.begin() + ptrdiff_t(head_ * xw));
            std::copy(tr, tr + tw, t_.begin() + ptrdiff_t(head_ * tw));
            head_ = (head_ + 1) % capacity_;
        }
    }
    return "";
}

void ReplayBuffer::clear() {
    std::vector<float>().swap(x_);
    std::vector<float>().swap(t_);
    count_ = head_ = xw_ = tw_ = 0;
}

std::vector<uint32_t> ReplayBuffer::sample_indices(size_t batch, uint64_t seed) const {
    std::vector<uint32_t> out;
    if (count_ == 0) return out;
    out.reserve(batch);
    uint64_t state = seed;
    for (size_t k = 0; k < batch; ++k) {
        // Lemire's multiply-shift: an unbiased-enough map of 64 random bits onto [0, size) without a division.
        out.push_back(uint32_t((unsigned __int128)splitmix64(&state) * count_ >> 64));
    }
    return out;
}

void ReplayBuffer::gather(const std::vector<uint32_t>& indices, std::vector<float>* X, std::vector<float>* T) const {
    X->clear();
    T->clear();
    X->reserve(indices.size() * xw_);
    T->reserve(indices.size() * tw_);
    for (uint32_t i : indices) {
        X->insert(X->end(), input(i), input(i) + xw_);
        T->insert(T->end(), target(i), target(i) + tw_);
    }
}

}  // namespace lk
