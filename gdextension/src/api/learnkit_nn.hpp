// LearnKit.nn and LearnKit.nn.schedular: the seed toolkit's factories, kept call-compatible.
#pragma once
#include "api/trainer_api.hpp"

namespace lk::api {

class LearnKitSchedular : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LearnKitSchedular";
    ExtRef<LKSchedule> cosine(double lr_max, int64_t period, double lr_min);
    ExtRef<LKSchedule> constant(double learning_rate);
    ExtRef<LKSchedule> step_decay(double learning_rate, int64_t step_size, double gamma);
    ExtRef<LKSchedule> exponential_decay(double learning_rate, double gamma);
    ExtRef<LKSchedule> warmup(double learning_rate, int64_t warmup_epochs, double start_factor);
};

class LearnKitNN : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LearnKitNN";
    LearnKitNN();
    ~LearnKitNN() override;

    LearnKitSchedular* get_schedular() const { return schedular_; }
    ExtRef<LKNetwork> network(const gd::Array& layer_sizes, const gd::Variant& runner, int64_t hidden_activation,
                              int64_t output_activation, int64_t init);
    ExtRef<LKTrainer> trainer(const ExtRef<LKNetwork>& network, const gd::Variant& runner, int64_t loss,
                              double learning_rate, double lambda_l2, int64_t epochs, int64_t batch_size,
                              const ExtRef<LKSchedule>& schedule, const ExtRef<LKOptimizer>& optimizer);
    ExtRef<LKOptimizer> optimizer(bool clip_gradients, double max_norm);

private:
    LearnKitSchedular* schedular_ = nullptr;
};

// Owned sub-objects of the singleton: plain Objects created through ClassDB, destroyed with their owner.
// `as` names the object for scripts ("LearnKit.nn"): a script's free() of it is refused (godot/registry.cpp).
template <class T> T* make_owned(const char* as) {
    T* object = static_cast<T*>(ext::instance_of(ext::construct(T::CLASS_NAME), T::CLASS_NAME));
    if (object) object->_owned_as = as;
    return object;
}
template <class T> void destroy_owned(T* object) {
    if (!object) return;
    object->_owned_as.clear();  // the owner's own destruction: let it go
    gdx::object_destroy(object->owner());
}

}  // namespace lk::api
