#include "core/image_rows.hpp"

#include <algorithm>
#include <cmath>

namespace lk {

namespace {

// torch's area_pixel_compute_source_index (align_corners=False, linear): the source coordinate of output
// pixel i, clamped at 0, as the lower neighbour, the upper one and the weight of the upper one.
struct Tap {
    size_t lo, hi;
    double t;
};

std::vector<Tap> taps(size_t in, size_t out) {
    std::vector<Tap> v(out);
    const double scale = double(in) / double(out);
    for (size_t i = 0; i < out; ++i) {
        const double src = std::max(0.0, (double(i) + 0.5) * scale - 0.5);
        const size_t lo = std::min(size_t(src), in - 1);
        v[i] = {lo, std::min(lo + 1, in - 1), src - double(lo)};
    }
    return v;
}

}  // namespace

void image_to_chw(const uint8_t* rgba, size_t w, size_t h, int channels, size_t out_w, size_t out_h,
                  const float* mean, const float* std, float* out) {
    std::vector<double> plane(w * h);
    const std::vector<Tap> tx = taps(w, out_w), ty = taps(h, out_h);
    for (int c = 0; c < channels; ++c) {
        for (size_t p = 0; p < w * h; ++p) {
            const uint8_t* px = rgba + p * 4;
            plane[p] = channels == 1 ? 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2] : double(px[c]);
        }
        float* o = out + size_t(c) * out_w * out_h;
        for (size_t y = 0; y < out_h; ++y) {
            const Tap& a = ty[y];
            for (size_t x = 0; x < out_w; ++x) {
                const Tap& b = tx[x];
                const double top = plane[a.lo * w + b.lo] * (1 - b.t) + plane[a.lo * w + b.hi] * b.t;
                const double bottom = plane[a.hi * w + b.lo] * (1 - b.t) + plane[a.hi * w + b.hi] * b.t;
                const double v = (top * (1 - a.t) + bottom * a.t) / 255.0;
                o[y * out_w + x] = float((v - mean[c]) / std[c]);
            }
        }
    }
}

}  // namespace lk
