#include "core/init.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/rng.hpp"

namespace lk {
namespace {

// torch.nn.init.orthogonal_: a standard normal matrix, flattened to rows x cols; the tall one of it and its
// transpose is QR-decomposed, Q's columns multiplied by the signs of R's diagonal, and the result transposed
// back. Modified Gram-Schmidt on the tall matrix's columns gives exactly that Q (its R has a positive
// diagonal), in double; a Gaussian matrix is well conditioned enough (cond ~ min(rows, cols)) for one pass.
void orthogonal(float* w, uint32_t rows, uint32_t cols, double gain, Rng& rng) {
    const size_t n_all = size_t(rows) * cols;
    std::vector<double> g(n_all);
    for (size_t i = 0; i < n_all; ++i) g[i] = rng.normal();
    const bool tall = rows >= cols;
    const uint32_t m = tall ? rows : cols;  // length of each vector to orthonormalise
    const uint32_t n = tall ? cols : rows;  // how many
    // v[j][i]: vector j's element i, contiguous per vector (columns of W when tall, rows when wide).
    std::vector<double> v(size_t(m) * n);
    for (uint32_t r = 0; r < rows; ++r) {
        for (uint32_t c = 0; c < cols; ++c) {
            const double x = g[size_t(r) * cols + c];
            if (tall) v[size_t(c) * m + r] = x; else v[size_t(r) * m + c] = x;
        }
    }
    for (uint32_t j = 0; j < n; ++j) {
        double* vj = &v[size_t(j) * m];
        for (uint32_t k = 0; k < j; ++k) {
            const double* vk = &v[size_t(k) * m];
            double dot = 0.0;
            for (uint32_t i = 0; i < m; ++i) dot += vk[i] * vj[i];
            for (uint32_t i = 0; i < m; ++i) vj[i] -= dot * vk[i];
        }
        double norm = 0.0;
        for (uint32_t i = 0; i < m; ++i) norm += vj[i] * vj[i];
        norm = std::sqrt(norm);
        const double inv = norm > 0.0 ? 1.0 / norm : 0.0;  // a zero column has probability 0; keep it finite
        for (uint32_t i = 0; i < m; ++i) vj[i] *= inv;
    }
    for (uint32_t r = 0; r < rows; ++r) {
        for (uint32_t c = 0; c < cols; ++c) {
            const double x = tall ? v[size_t(c) * m + r] : v[size_t(r) * m + c];
            w[size_t(r) * cols + c] = static_cast<float>(x * gain);
        }
    }
}

}  // namespace

void init_tensor(float* values, uint32_t rows, uint32_t cols, const InitDraw& d, Rng& rng) {
    const size_t n = size_t(rows) * cols;
    switch (d.dist) {
    case InitDist::CONSTANT:
        for (size_t i = 0; i < n; ++i) values[i] = static_cast<float>(d.a);
        return;
    case InitDist::UNIFORM: {
        // (2u - 1) * half + mid: for a symmetric [-s, s) this is (2u - 1) * s exactly, the formula (and so the
        // numbers) models were initialised with before initializers took bounds.
        const double half = 0.5 * (d.b - d.a);
        const double mid = 0.5 * (d.a + d.b);
        for (size_t i = 0; i < n; ++i) {
            const double x = (2.0 * rng.uniform() - 1.0) * half;
            values[i] = static_cast<float>(mid == 0.0 ? x : x + mid);
        }
        return;
    }
    case InitDist::NORMAL:
        for (size_t i = 0; i < n; ++i) {
            const double x = rng.normal() * d.b;
            values[i] = static_cast<float>(d.a == 0.0 ? x : x + d.a);
        }
        return;
    case InitDist::ORTHOGONAL:
        orthogonal(values, rows, cols, d.a, rng);
        return;
    }
}

std::string init_tensor_check(uint32_t rows, uint32_t cols, const InitDraw& d) {
    if (d.dist != InitDist::ORTHOGONAL) return "";
    const uint64_t lo = std::min(rows, cols), hi = std::max(rows, cols);
    if (hi * lo * lo <= kMaxOrthogonalCost) return "";
    return "orthogonal initialisation of a " + std::to_string(rows) + " x " + std::to_string(cols) +
           " matrix needs a QR decomposition of ~" + std::to_string(2 * hi * lo * lo / 1000000000) +
           " GFLOP: expected max(rows, cols) * min(rows, cols)^2 <= 2^31 (e.g. up to 1290 x 1290)";
}

}  // namespace lk
