// Construction shared by the seed API (LearnKit.nn) and the modern API (LearnKit.*): every object is made,
// validated and reported the same way whichever door it came through.
#pragma once
#include "api/trainer_api.hpp"

namespace lk::api {

struct DenseDesc {
    uint32_t in = 0, out = 0;
    Activation act = Activation::IDENTITY;
    float alpha = NAN;  // NAN: the activation's default
    const InitSpec* init = nullptr;  // the layer's own initializer (dense settings "init", "init_<param>"), or none
};

// Builds, validates and initialises a network; null after push_error on bad sizes.
ExtRef<LKNetwork> make_network(const std::vector<DenseDesc>& layers, const InitSpec& init, uint64_t seed,
                               const std::string& device, const char* where);
// The same from sequential()'s Array of LKDense / LKLayer descriptions (residual blocks expanded).
ExtRef<LKNetwork> make_sequential(const gd::Array& layers, const InitSpec& init, uint64_t seed,
                                  const std::string& device, const char* where);
// A layer description of a registered op type (settings checked by the op's factory now, so mistakes are
// reported where they are made), or "residual" with its layers.
ExtRef<LKLayer> make_layer(const std::string& type, const gd::Dictionary& settings, const gd::Array& layers,
                           const char* where);
ExtRef<LKOptimizer> make_optimizer(Optimizer kind, double beta1, double beta2, double epsilon, double momentum,
                                   double weight_decay, double clip_norm, const char* where);
// An optimizer with every hyperparameter at its spec default (codegen/spec/optimizers.yaml).
ExtRef<LKOptimizer> default_optimizer(Optimizer kind);
ExtRef<LKSchedule> make_schedule(bool cosine, double lr_max, int64_t period, double lr_min, const char* where);
// Any optimizer of the spec by name, with hyperparameters by name (checked against the spec: an unknown name
// lists the optimizer's own).
ExtRef<LKOptimizer> make_named_optimizer(const std::string& name, const gd::Dictionary& hyperparameters,
                                         const char* where);
// Any schedule kind (core/schedule.hpp) with its settings by torch's names (an unknown one lists the kind's).
ExtRef<LKSchedule> make_named_schedule(const std::string& kind, const gd::Dictionary& settings, const char* where);
ExtRef<LKTrainer> make_trainer(const ExtRef<LKNetwork>& network, const char* where);

// Whether the spec gives the activation a parameter of this name (LKDense's and LearnKit.activation()'s alpha
// goes only to activations that have one).
bool activation_has_param(Activation act, const char* name);

// "gpu"/"cpu"/"auto" from a runner argument of the seed API (null = "auto").
bool device_from_runner(const gd::Variant& runner, std::string* device, const char* where);

}  // namespace lk::api
