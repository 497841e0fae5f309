// The LearnKit engine singleton: the GDScript entry point (LearnKit.nn, LearnKit.dense(), ...).
#pragma once
#include "api/learnkit_data.hpp"
#include "api/learnkit_evaluate.hpp"
#include "api/learnkit_nn.hpp"
#include "api/warm_up_api.hpp"

namespace lk::api {

// {from_spirv, from_glsl, warmed, on_demand, ms}: the GPU device's pipeline counters (RdDevice::Stats), zeros
// before the device exists (api/warm_up_api.cpp).
gd::Dictionary gpu_pipeline_info();
double gpu_device_ms();  // how long creating the GPU device took; 0 before it exists

class LearnKit : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LearnKit";
    LearnKit();
    ~LearnKit() override;

    LearnKitNN* get_nn() const { return nn_; }
    LearnKitData* get_data() const { return data_; }
    LearnKitEvaluate* get_evaluate() const { return evaluate_; }
    LearnKitSerialize* get_serialize() const { return serialize_; }

    gd::Dictionary get_device_info();
    // GPU warm-up (api/warm_up_api.cpp, gpu/warm_up.hpp).
    ExtRef<LKWarmUp> warm_up(const gd::String& device, const gd::String& kernels);
    gd::String get_warm_up_status();
    ExtRef<LKDense> dense(int64_t inputs, int64_t outputs, const gd::String& activation, double alpha,
                          const gd::Variant& init);
    ExtRef<LKNetwork> sequential(const gd::Array& layers, const gd::Variant& init, int64_t seed);
    ExtRef<LKNetwork> network(int64_t input_size);
    ExtRef<LKLayer> layer(const gd::String& type, const gd::Dictionary& settings);
    ExtRef<LKLayer> activation(const gd::String& name, double alpha);
    // Custom activations at run time (api/custom_activation.cpp).
    int64_t register_activation(const gd::String& name, const gd::String& forward, const gd::String& derivative,
                                const gd::Dictionary& params, bool replace);
    int64_t unregister_activation(const gd::Variant& name);
    gd::Array get_custom_activations();
    ExtRef<LKLayer> dropout(double p);
    ExtRef<LKLayer> batch_norm(double eps, double momentum, bool affine);
    ExtRef<LKLayer> layer_norm(double eps, bool affine);
    ExtRef<LKLayer> residual(const gd::Array& layers);
    ExtRef<LKTrainer> trainer(const ExtRef<LKNetwork>& network, const gd::Dictionary& options);
    ExtRef<LKOptimizer> adam(double beta1, double beta2, double epsilon, double weight_decay, double clip_norm);
    ExtRef<LKOptimizer> sgd(double momentum, double weight_decay, double clip_norm);
    ExtRef<LKSchedule> cosine_schedule(double lr_max, int64_t period, double lr_min);
    ExtRef<LKSchedule> constant_schedule(double learning_rate);
    ExtRef<LKOptimizer> optimizer(const gd::String& name, const gd::Dictionary& hyperparameters);
    ExtRef<LKSchedule> schedule(const gd::String& kind, const gd::Dictionary& settings);
    gd::Dictionary benchmark_gemm(int64_t rows, int64_t outputs, int64_t inputs, int64_t repeats,
                                  const gd::String& device);

private:
    LearnKitNN* nn_;
    LearnKitData* data_;
    LearnKitEvaluate* evaluate_;
    LearnKitSerialize* serialize_;
};

}  // namespace lk::api
