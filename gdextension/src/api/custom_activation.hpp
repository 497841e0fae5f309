// The GDScript face of run-time custom activations (core/custom_activation.hpp): LearnKit.register_activation
// and LearnKit.get_custom_activations are defined in api/custom_activation.cpp.
#pragma once
#include <string>

namespace lk::api {

// "; custom: a, b" (the registered custom activations), or "" when none: appended to unknown-name messages.
std::string custom_names_hint();

}  // namespace lk::api
