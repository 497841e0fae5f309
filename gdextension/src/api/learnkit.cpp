#include "api/learnkit.hpp"

#include <algorithm>
#include <cmath>

#include "api/backends.hpp"
#include "api/catalogue_names.hpp"
#include "api/convert.hpp"
#include "api/custom_activation.hpp"
#include "api/factories.hpp"
#include "api/gpu_startup.hpp"
#include "api/init_settings.hpp"
#include "api/loss_settings.hpp"
#include "core/custom_activation.hpp"
#include "godot/log.hpp"
#include "gpu/rd_device.hpp"
#include "kernels/param_checks.hpp"

namespace lk::api {

LearnKit::LearnKit()
    : nn_(make_owned<LearnKitNN>("LearnKit.nn")),
      data_(make_owned<LearnKitData>("LearnKit.data")),
      evaluate_(make_owned<LearnKitEvaluate>("LearnKit.evaluate")),
      serialize_(make_owned<LearnKitSerialize>("LearnKit.serialize")) {}

LearnKit::~LearnKit() {
    destroy_owned(nn_);
    destroy_owned(data_);
    destroy_owned(evaluate_);
    destroy_owned(serialize_);
}

gd::Dictionary LearnKit::get_device_info() {
    gd::Dictionary d;
    // Asks without creating the GPU device (a first GPU use: api/gpu_startup.hpp says what that costs a frame).
    std::string name, vendor, reason;
    const bool gpu = gpu_probe(&name, &vendor, &reason);
    d[gd::Variant("gpu_available")] = gd::Variant(gpu);
    d[gd::Variant("gpu_name")] = gd::Variant(name);
    d[gd::Variant("gpu_vendor")] = gd::Variant(vendor);
    d[gd::Variant("gpu_unavailable_reason")] = gd::Variant(gpu ? std::string() : reason);
    d[gd::Variant("gpu_device_ms")] = gd::Variant(gpu_device_ms());
    d[gd::Variant("cpu_name")] = gd::Variant(gd::OS::singleton().get_processor_name());
    d[gd::Variant("last_backend")] = gd::Variant(last_backend());
    d[gd::Variant("last_device")] = gd::Variant(last_device());
    d[gd::Variant("gpu_pipelines")] = gd::Variant(gpu_pipeline_info());
    d[gd::Variant("gpu_prepared_at_startup")] = gd::Variant(gpu_prepared_at_startup());
    return d;
}

ExtRef<LKDense> LearnKit::dense(int64_t inputs, int64_t outputs, const gd::String& activation, double alpha,
                                const gd::Variant& init) {
    Activation act = Activation::IDENTITY;
    const CustomActivation* custom = nullptr;
    if (!activation_from_name(activation.utf8(), &act) && !(custom = find_custom_activation(activation.utf8()))) {
        push_error("dense", str("unknown activation \"", activation.utf8(), "\": expected ", activation_names(),
                                custom_names_hint()));
        return {};
    }
    // alpha NAN (the default): the activation's own default.
    if (inputs <= 0 || outputs <= 0 || inputs > (1 << 24) || outputs > (1 << 24) || std::isinf(alpha)) {
        push_error("dense", str("inputs ", inputs, ", outputs ", outputs, ", alpha ", alpha,
                                ": expected positive widths (at most 16777216) and a finite alpha (or NAN)"));
        return {};
    }
    // The spec's parameter rules (celu: alpha != 0) now, where the mistake is made, not at sequential().
    const ActivationInfo& info = activation_info(act);
    ActParams params = info.defaults;
    for (int k = 0; k < info.param_count; ++k) {
        if (!std::isnan(alpha) && std::string(info.param_names[k]) == "alpha") params.p[k] = float(alpha);
    }
    if (std::string rule = activation_check(act, params); !rule.empty()) {
        push_error("dense", rule);
        return {};
    }
    // init null (the default): the network's initializer (sequential()'s, initialize()'s).
    InitSpec own;
    const bool own_init = init.get_type() != GDEXTENSION_VARIANT_TYPE_NIL;
    if (std::string e = own_init ? init_from_variant(init, &own) : std::string(); !e.empty()) {
        push_error("dense", e);
        return {};
    }
    ExtRef<LKDense> d = ExtRef<LKDense>::create();
    d->own_init = own_init;
    d->init = own;
    d->inputs = inputs;
    d->outputs = outputs;
    d->act = act;
    if (custom) d->custom = custom->name;
    d->alpha_value = alpha;
    return d;
}

ExtRef<LKNetwork> LearnKit::sequential(const gd::Array& layers, const gd::Variant& init, int64_t seed) {
    InitSpec in;
    if (std::string e = init_from_variant(init, &in); !e.empty()) {
        push_error("sequential", e);
        return {};
    }
    return make_sequential(layers, in, uint64_t(seed), "auto", "sequential");
}

ExtRef<LKNetwork> LearnKit::network(int64_t input_size) {
    if (input_size <= 0 || input_size > (1 << 24)) {
        push_error("network", str("input_size is ", input_size, ": expected a width in [1, 16777216]"));
        return {};
    }
    ExtRef<LKNetwork> net = ExtRef<LKNetwork>::create();
    net->net.set_input(Shape::features(uint32_t(input_size)));
    return net;
}

ExtRef<LKLayer> LearnKit::layer(const gd::String& type, const gd::Dictionary& settings) {
    return make_layer(type.utf8(), settings, gd::Array(), "layer");
}

ExtRef<LKLayer> LearnKit::activation(const gd::String& name, double alpha) {
    gd::Dictionary s;
    s[gd::Variant("activation")] = gd::Variant(name);
    // NAN (the default): the spec's. Like LKDense's, this alpha is the activation's parameter named alpha
    // (leaky_relu, elu, celu) when it has one; other parameters go by name through LearnKit.layer().
    Activation act;
    if (!std::isnan(alpha) && activation_from_name(name.utf8(), &act) && activation_has_param(act, "alpha")) {
        s[gd::Variant("alpha")] = gd::Variant(alpha);
    }
    const CustomActivation* custom = find_custom_activation(name.utf8());
    if (!std::isnan(alpha) && custom &&
        std::find(custom->param_names.begin(), custom->param_names.end(), "alpha") != custom->param_names.end()) {
        s[gd::Variant("alpha")] = gd::Variant(alpha);
    }
    return make_layer("activation", s, gd::Array(), "activation");
}

ExtRef<LKLayer> LearnKit::dropout(double p) {
    gd::Dictionary s;
    s[gd::Variant("p")] = gd::Variant(p);
    return make_layer("dropout", s, gd::Array(), "dropout");
}

ExtRef<LKLayer> LearnKit::batch_norm(double eps, double momentum, bool affine) {
    gd::Dictionary s;
    s[gd::Variant("eps")] = gd::Variant(eps);
    s[gd::Variant("momentum")] = gd::Variant(momentum);
    s[gd::Variant("affine")] = gd::Variant(affine);
    return make_layer("batch_norm", s, gd::Array(), "batch_norm");
}

ExtRef<LKLayer> LearnKit::layer_norm(double eps, bool affine) {
    gd::Dictionary s;
    s[gd::Variant("eps")] = gd::Variant(eps);
    s[gd::Variant("affine")] = gd::Variant(affine);
    return make_layer("layer_norm", s, gd::Array(), "layer_norm");
}

ExtRef<LKLayer> LearnKit::residual(const gd::Array& layers) {
    return make_layer("residual", gd::Dictionary(), layers, "residual");
}

ExtRef<LKTrainer> LearnKit::trainer(const ExtRef<LKNetwork>& network, const gd::Dictionary& options) {
    const char* where = "trainer";
    ExtRef<LKTrainer> t = make_trainer(network, where);
    if (!t) return {};
    gd::Array keys = options.keys();
    for (int64_t i = 0; i < keys.size(); ++i) {
        const gd::Variant& key = keys[i];
        const std::string k = key.get_type() == GDEXTENSION_VARIANT_TYPE_STRING ? key.as_string().utf8() : "";
        gd::Variant v;
        options.lookup(key, &v);
        const auto type = v.get_type();
        const bool is_str = type == GDEXTENSION_VARIANT_TYPE_STRING;
        bool ok = true;
        if (k == "loss" && is_str) {
            Loss l;
            ok = loss_from_name(v.as_string().utf8(), &l);
            if (ok) t->loss = l;
        } else if (k == "loss_settings" && type == GDEXTENSION_VARIANT_TYPE_DICTIONARY) {
            t->loss_settings = v.as_dictionary();  // checked below, once `loss` is known (and again when used)
        } else if (k == "optimizer" && is_str) {
            Optimizer o;
            ok = optimizer_from_name(v.as_string().utf8(), &o);
            if (ok) t->optimizer = default_optimizer(o);  // the spec's own defaults, not another's
        } else if (k == "optimizer" && type == GDEXTENSION_VARIANT_TYPE_OBJECT) {
            ExtRef<LKOptimizer> o = ExtRef<LKOptimizer>::from_variant(v);
            ok = bool(o);
            if (ok) t->optimizer = o;
        } else if (k == "schedule" && (type == GDEXTENSION_VARIANT_TYPE_OBJECT || v.is_nil())) {
            t->schedule = ExtRef<LKSchedule>::from_variant(v);
            ok = v.is_nil() || bool(t->schedule);
        } else if (k == "learning_rate" && v.is_number()) {
            t->set_learning_rate(v.as_double());
            ok = t->learning_rate > 0.0 && std::isfinite(t->learning_rate);
        } else if (k == "no_decay_on_bias_and_norm" && type == GDEXTENSION_VARIANT_TYPE_BOOL) {
            t->no_decay_on_bias_and_norm = v.as_bool();
        } else if ((k == "epochs" || k == "batch_size" || k == "seed") && v.is_number() &&
                   v.as_double() == std::floor(v.as_double()) && std::abs(v.as_double()) < 9.0e15) {
            // Integral floats too: configs loaded from JSON carry every number as a float.
            const int64_t n = int64_t(v.as_double());
            ok = k == "seed" || n > 0;
            (k == "epochs" ? t->epochs : k == "batch_size" ? t->batch_size : t->seed) = n;
        } else if (k == "device" && is_str) {
            t->device = v.as_string().utf8();
            ok = valid_device(t->device);
        } else if (k == "shuffle" && type == GDEXTENSION_VARIANT_TYPE_BOOL) {
            t->shuffle = v.as_bool();
        } else if (k == "clip_norm" && v.is_number()) {
            ok = v.as_double() >= 0.0 && t->optimizer;
            if (ok) t->optimizer->clip_norm = v.as_double();
        } else {
            ok = false;
        }
        if (!ok) {
            push_error(where, str("option \"", key.describe(), "\" = ", v.describe(),
                                  " is not valid: expected loss (", loss_names(), "), loss_settings (Dictionary), optimizer (", optimizer_names(), " "
                                  "or LKOptimizer), schedule (LKSchedule), learning_rate (> 0), epochs, batch_size "
                                  "(int > 0), seed (int), device (\"auto\"/\"gpu\"/\"cpu\"), shuffle (bool), "
                                  "clip_norm (>= 0), no_decay_on_bias_and_norm (bool)"));
            return {};
        }
    }
    LossSetup setup;
    const std::string bad_loss = loss_setup(t->loss, t->loss_settings, &setup);
    if (!bad_loss.empty()) {
        push_error(where, bad_loss);
        return {};
    }
    return t;
}

ExtRef<LKOptimizer> LearnKit::adam(double beta1, double beta2, double epsilon, double weight_decay, double clip_norm) {
    return make_optimizer(Optimizer::ADAM, beta1, beta2, epsilon, 0.0, weight_decay, clip_norm, "adam");
}

ExtRef<LKOptimizer> LearnKit::sgd(double momentum, double weight_decay, double clip_norm) {
    return make_optimizer(Optimizer::SGD, 0.9, 0.999, 1e-8, momentum, weight_decay, clip_norm, "sgd");
}

ExtRef<LKSchedule> LearnKit::cosine_schedule(double lr_max, int64_t period, double lr_min) {
    return make_schedule(true, lr_max, period, lr_min, "cosine_schedule");
}

ExtRef<LKSchedule> LearnKit::constant_schedule(double learning_rate) {
    return make_schedule(false, learning_rate, 0, 0.0, "constant_schedule");
}

ExtRef<LKOptimizer> LearnKit::optimizer(const gd::String& name, const gd::Dictionary& hyperparameters) {
    return make_named_optimizer(name.utf8(), hyperparameters, "optimizer");
}

ExtRef<LKSchedule> LearnKit::schedule(const gd::String& kind, const gd::Dictionary& settings) {
    return make_named_schedule(kind.utf8(), settings, "schedule");
}

}  // namespace lk::api
