#include "api/learnkit_nn.hpp"

#include "api/factories.hpp"
#include "core/f32.hpp"
#include "godot/log.hpp"

namespace lk::api {

ExtRef<LKSchedule> LearnKitSchedular::cosine(double lr_max, int64_t period, double lr_min) {
    return make_schedule(true, lr_max, period, lr_min, "nn.schedular.cosine");
}
ExtRef<LKSchedule> LearnKitSchedular::constant(double learning_rate) {
    return make_schedule(false, learning_rate, 0, 0.0, "nn.schedular.constant");
}

namespace {
// The seed toolkit's decays, as the modern API's named schedules with their base learning rate.
ExtRef<LKSchedule> seed_schedule(const char* kind, double learning_rate, gd::Dictionary settings,
                                 const char* where) {
    settings[gd::Variant("learning_rate")] = gd::Variant(learning_rate);
    return make_named_schedule(kind, settings, where);
}
}  // namespace

ExtRef<LKSchedule> LearnKitSchedular::step_decay(double learning_rate, int64_t step_size, double gamma) {
    gd::Dictionary d;
    d[gd::Variant("step_size")] = gd::Variant(step_size);
    d[gd::Variant("gamma")] = gd::Variant(gamma);
    return seed_schedule("step", learning_rate, d, "nn.schedular.step_decay");
}
ExtRef<LKSchedule> LearnKitSchedular::exponential_decay(double learning_rate, double gamma) {
    gd::Dictionary d;
    d[gd::Variant("gamma")] = gd::Variant(gamma);
    return seed_schedule("exponential", learning_rate, d, "nn.schedular.exponential_decay");
}
ExtRef<LKSchedule> LearnKitSchedular::warmup(double learning_rate, int64_t warmup_epochs, double start_factor) {
    gd::Dictionary d;
    d[gd::Variant("total_iters")] = gd::Variant(warmup_epochs);
    d[gd::Variant("start_factor")] = gd::Variant(start_factor);
    return seed_schedule("linear", learning_rate, d, "nn.schedular.warmup");
}

LearnKitNN::LearnKitNN() : schedular_(make_owned<LearnKitSchedular>("LearnKit.nn.schedular")) {}
LearnKitNN::~LearnKitNN() { destroy_owned(schedular_); }

namespace {
bool enum_in_range(int64_t value, int count, const char* name, const char* where) {
    if (value >= 0 && value < count) return true;
    push_error(where, str(name, " is ", value, ": expected a value of its LearnKit enum (0..", count - 1, ")"));
    return false;
}
}  // namespace

ExtRef<LKNetwork> LearnKitNN::network(const gd::Array& layer_sizes, const gd::Variant& runner,
                                      int64_t hidden_activation, int64_t output_activation, int64_t init) {
    const char* where = "nn.network";
    std::string device;
    if (!device_from_runner(runner, &device, where) ||
        !enum_in_range(hidden_activation, ACTIVATION_COUNT, "hidden_activation", where) ||
        !enum_in_range(output_activation, ACTIVATION_COUNT, "output_activation", where) ||
        !enum_in_range(init, INIT_COUNT, "init", where)) {
        return {};
    }
    const int64_t n = layer_sizes.size();
    if (n < 2) {
        push_error(where, str("layer_sizes has ", n, " entries: expected [inputs, (hidden...,) outputs]"));
        return {};
    }
    std::vector<uint32_t> sizes;
    for (int64_t i = 0; i < n; ++i) {
        const gd::Variant& v = layer_sizes[i];
        const double size = v.is_number() ? v.as_double() : -1.0;
        if (!v.is_number() || size < 1 || size != double(int64_t(size)) || size > double(1 << 24)) {
            push_error(where, str("layer_sizes[", i, "] is ", v.describe(), ": expected a positive integer width"));
            return {};
        }
        sizes.push_back(uint32_t(size));
    }
    std::vector<DenseDesc> layers;
    for (size_t i = 0; i + 1 < sizes.size(); ++i) {
        const bool last = i + 2 == sizes.size();
        layers.push_back({sizes[i], sizes[i + 1], Activation(last ? output_activation : hidden_activation), NAN});
    }
    return make_network(layers, init_defaults(Init(init)), 0, device, where);
}

ExtRef<LKTrainer> LearnKitNN::trainer(const ExtRef<LKNetwork>& network, const gd::Variant& runner, int64_t loss,
                                      double learning_rate, double lambda_l2, int64_t epochs, int64_t batch_size,
                                      const ExtRef<LKSchedule>& schedule, const ExtRef<LKOptimizer>& optimizer) {
    const char* where = "nn.trainer";
    std::string device;
    if (!device_from_runner(runner, &device, where) || !enum_in_range(loss, LOSS_COUNT, "loss", where)) return {};
    if (!(learning_rate > 0.0) || !(lambda_l2 >= 0.0) || epochs <= 0 || batch_size <= 0) {
        push_error(where, str("learning_rate ", learning_rate, ", lambda_l2 ", lambda_l2, ", epochs ", epochs,
                              ", batch_size ", batch_size,
                              ": expected learning_rate > 0, lambda_l2 >= 0, epochs > 0, batch_size > 0"));
        return {};
    }
    ExtRef<LKTrainer> t = make_trainer(network, where);
    if (!t) return {};
    t->loss = Loss(loss);
    t->set_learning_rate(learning_rate);
    t->epochs = epochs;
    t->batch_size = batch_size;
    t->schedule = schedule;
    // null runner: the trainer follows the network's device (set later through network.device too).
    t->device = runner.is_nil() ? "" : device;
    if (optimizer) {
        // A copy, so lambda_l2 does not leak into an optimizer object shared with another trainer.
        t->optimizer = ExtRef<LKOptimizer>::create();
        t->optimizer->kind = optimizer->kind;
        t->optimizer->hyper = optimizer->hyper;
        t->optimizer->clip_norm = optimizer->clip_norm;
    }
    if (t->optimizer && lambda_l2 > 0.0) t->optimizer->hyper.weight_decay = to_f32(lambda_l2);
    return t;
}

ExtRef<LKOptimizer> LearnKitNN::optimizer(bool clip_gradients, double max_norm) {
    if (clip_gradients && !(max_norm > 0.0)) {
        push_error("nn.optimizer", str("max_norm is ", max_norm, ": expected > 0 when clip_gradients is true"));
        return {};
    }
    return make_optimizer(Optimizer::ADAM, 0.9, 0.999, 1e-8, 0.0, 0.0, clip_gradients ? max_norm : 0.0,
                          "nn.optimizer");
}

}  // namespace lk::api
