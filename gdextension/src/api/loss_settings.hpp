// A loss's settings from GDScript: LKTrainer.loss_settings and the trainer option "loss_settings", a Dictionary of
// the loss's parameters by name (codegen/spec/losses.yaml `params`: huber's delta, cce's label_smoothing, ...)
// plus "reduction" ("mean" or "sum"). Validated against the spec: an unknown key lists what the loss takes.
#pragma once
#include <string>

#include "glue.hpp"
#include "kernels/kernels.hpp"

namespace lk::api {

// The loss with these settings (the spec defaults for the parameters not given) into *out; an error message
// naming the offending key and what the loss takes, or "".
std::string loss_setup(Loss loss, const gd::Dictionary& settings, LossSetup* out);

}  // namespace lk::api
