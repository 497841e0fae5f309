// Pixels into network input rows: RGBA8 pixels -> 1 (grayscale) or 3 (RGB) channels of floats in [0, 1],
// resized, optionally normalised, laid out channels x height x width (CHW, the layout of the (C, H, W) tensor
// shapes of core/shape.hpp). Godot-free; api/image_folder.cpp reads the files.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lk {

// rgba: w x h pixels, 4 bytes each, row-major. channels 1: luma 0.299 R + 0.587 G + 0.114 B (ITU-R 601, what
// PIL's convert("L") computes before rounding); 3: R, G, B. The channels are resized to out_w x out_h with
// bilinear interpolation as torch.nn.functional.interpolate(mode="bilinear", align_corners=False,
// antialias=False) computes it, then scaled by 1/255, then each channel c becomes (v - mean[c]) / std[c].
// out: channels * out_h * out_w values.
void image_to_chw(const uint8_t* rgba, size_t w, size_t h, int channels, size_t out_w, size_t out_h,
                  const float* mean, const float* std, float* out);

}  // namespace lk
