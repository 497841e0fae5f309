// Checked size arithmetic and the limits on sizes that come from user input: every count of rows, widths,
// classes or parameters that decides an allocation or an offset goes through here, before anything is
// allocated, so an absurd or wrapping size (rows * width past 2^64, a 67 GB one-hot) is an error with a
// message, never a wrapped check, a std::bad_alloc abort or a multi-gigabyte surprise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace lk {

// The most floats one buffer made from user input may hold: 2^30 (4 GiB). Arenas use 32-bit float offsets on
// both backends, so nothing larger can be addressed anyway; host-side arrays (datasets, one-hot targets) share
// the limit so that the host never holds what a backend would refuse.
constexpr uint64_t kMaxFloats = uint64_t(1) << 30;

// *out = a * b; false when it overflows 64 bits.
inline bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_mul_overflow(a, b, out); }
inline bool checked_add(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_add_overflow(a, b, out); }

// "" when rows x width floats fit kMaxFloats, else a message naming `what` and both sizes.
inline std::string check_float_count(const std::string& what, uint64_t rows, uint64_t width) {
    uint64_t n = 0;
    if (!checked_mul(rows, width, &n) || n > kMaxFloats) {
        return what + " of " + std::to_string(rows) + " rows x " + std::to_string(width) + " values is too large (" +
               "at most " + std::to_string(kMaxFloats) + " values, 4 GiB of float32)";
    }
    return "";
}

}  // namespace lk
