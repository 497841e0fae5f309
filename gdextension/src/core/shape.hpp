// The shape of one sample of a tensor: the batch dimension N is implicit (every tensor of a graph has the
// batch's rows), so a dense feature vector is rank 1 (features) and an image is rank 3 (C, H, W). Kernels see a
// tensor as rows x size() floats, row-major.
#pragma once
#include <cstdint>
#include <string>

namespace lk {

struct Shape {
    static constexpr int kMaxRank = 3;  // per sample; with N that is rank 4 (N, C, H, W)
    uint8_t rank = 0;
    uint32_t dims[kMaxRank] = {0, 0, 0};

    static Shape features(uint32_t n) {
        Shape s;
        s.rank = 1;
        s.dims[0] = n;
        return s;
    }
    // Elements per sample (1 for rank 0). 64-bit: callers check it against the arena's 32-bit offsets.
    uint64_t size() const {
        uint64_t n = 1;
        for (int i = 0; i < rank; ++i) n *= dims[i];
        return n;
    }
    // The last dimension (features of a rank-1 tensor, W of an image); 0 for rank 0.
    uint32_t last() const { return rank ? dims[rank - 1] : 0; }
    bool operator==(const Shape& o) const {
        if (rank != o.rank) return false;
        for (int i = 0; i < rank; ++i) {
            if (dims[i] != o.dims[i]) return false;
        }
        return true;
    }
    bool operator!=(const Shape& o) const { return !(*this == o); }
    // "(N, 16)", "(N, 3, 32, 32)": the way messages name shapes.
    std::string str() const {
        std::string s = "(N";
        for (int i = 0; i < rank; ++i) s += ", " + std::to_string(dims[i]);
        return s + ")";
    }
};

}  // namespace lk
