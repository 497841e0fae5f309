// A layer's own initializer, as op settings (so model files and get_layers() carry it like any setting):
// "init" names it and "init_<parameter>" sets its parameters, e.g. {"init": "kaiming_uniform", "init_mode":
// "fan_out", "init_a": 0.1}. A layer with one ignores the network's initializer (sequential(), initialize()).
#pragma once
#include <string>

#include "core/attrs.hpp"
#include "kernels/initializers.hpp"

namespace lk {

// Reads the settings into *out; false when they name no initializer. Problems go to r (r.finish() reports
// them, naming the key, the value and what is allowed).
bool init_from_attrs(AttrReader& r, const Attrs& attrs, InitSpec* out);
// The settings init_from_attrs reads back to the same initializer (every parameter written).
void init_to_attrs(const InitSpec& spec, Attrs* attrs);
// "a = 2, b = 1" / "mode = fan_out, ...": the parameters for error messages.
std::string init_param_values(const InitSpec& spec);

}  // namespace lk
