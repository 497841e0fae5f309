// Deterministic random numbers for initialisation and shuffling. We use our own generator instead of <random>
// because the standard distributions (std::normal_distribution, std::uniform_int_distribution, std::shuffle) are
// implementation-defined: the same seed gives different numbers on libstdc++, libc++ and MSVC, and a saved
// seed must reproduce the same model on every platform Godot exports to.
#pragma once
#include <cmath>
#include <cstdint>

namespace lk {

// splitmix64 (Steele, Lea, Flood 2014): one 64-bit state word, full period, passes BigCrush, and is also the
// recommended way to derive independent seeds, which is what mix() below uses it for.
class Rng {
public:
    explicit Rng(uint64_t seed = 0) : state_(seed) {}

    uint64_t next_u64() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    // Uniform in [0, 1) with 53 random bits; exact in IEEE double, so identical everywhere.
    double uniform() { return double(next_u64() >> 11) * (1.0 / 9007199254740992.0); }

    // Uniform integer in [0, n) without modulo bias (rejection on the top of the 64-bit range). n > 0.
    uint64_t below(uint64_t n) {
        const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
        uint64_t x;
        do {
            x = next_u64();
        } while (x >= limit);
        return x % n;
    }

    // Standard normal by Box-Muller. Computed in double and rounded to float by the callers: libm's log/cos may
    // differ in the last double ulp between platforms, and such a difference survives rounding to float only
    // with probability ~2^-29 per value, so float parameters come out identical in practice.
    double normal() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        const double u1 = 1.0 - uniform();  // (0, 1]: log(u1) stays finite
        const double u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        const double a = 6.283185307179586476925 * u2;
        spare_ = r * std::sin(a);
        has_spare_ = true;
        return r * std::cos(a);
    }

    // A seed for an independent stream (layer i of a network, epoch e of a fit) derived from a base seed, so
    // that each stream depends only on (seed, index) and not on how many numbers earlier streams consumed.
    static uint64_t mix(uint64_t seed, uint64_t index) {
        Rng r(seed ^ (index * 0xD1B54A32D192ED03ull));
        r.next_u64();
        return r.next_u64();
    }

private:
    uint64_t state_;
    double spare_ = 0.0;
    bool has_spare_ = false;
};

}  // namespace lk
