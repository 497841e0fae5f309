// An initializer as GDScript gives it (LearnKit.sequential's and LKNetwork.initialize's `init`): a name
// ("kaiming_uniform"), a WeightInitialization value, or a Dictionary {"name": "kaiming_uniform", "mode":
// "fan_out", "nonlinearity": "leaky_relu", "a": 0.1} with the parameters of codegen/spec/initializers.yaml (the
// ones not given keep their defaults). Validated against the spec: every message names the offending value and
// what is allowed.
#pragma once
#include <string>

#include "glue.hpp"
#include "kernels/initializers.hpp"

namespace lk::api {

// The initializer into *out; "" or an error message.
std::string init_from_variant(const gd::Variant& init, InitSpec* out);

// "a (a number), mode (\"fan_in\" or \"fan_out\"), ..." for an initializer; "no parameters" when it has none.
std::string init_param_list(Init init);

}  // namespace lk::api
