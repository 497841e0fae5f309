// An LKNetwork's whole state as one Dictionary, and back: the one place that knows the model format.
// LKNetwork.model (what .tres/.res files store, what Resource.duplicate() copies) and LearnKit.serialize's JSON
// files (JSON.stringify of the same Dictionary) both go through these two functions.
//
// Format "learnkit.network", version 1:
//   {format, version, device: "auto"|"gpu"|"cpu",
//    layers: [{type: "dense", inputs, outputs, activation, alpha, weight_f32_base64, bias_f32_base64}]}
// Parameters are base64 of little-endian float32 (weight out x in row-major, torch nn.Linear layout): Godot's
// .tres writer prints floats shortest-round-trip but writes -0.0 as 0 (measured on 4.6.3), and JSON has
// no float32 at all, so text numbers would not give the parameters back bit for bit.
#pragma once
#include <string>

#include "api/network_api.hpp"

namespace lk::api {

gd::Dictionary network_to_dict(const LKNetwork& network);

// Replaces *network's layers, parameters and device with the Dictionary's. On bad data returns false with
// *err naming the offending key and what was expected, and leaves *network unchanged. An empty layer list
// gives an empty network (the state of LKNetwork.new()).
bool network_from_dict(const gd::Dictionary& model, LKNetwork* network, std::string* err);

}  // namespace lk::api
