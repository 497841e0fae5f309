#include "api/factories.hpp"

#include <algorithm>
#include <cmath>

#include "api/convert.hpp"
#include "core/f32.hpp"
#include "core/op_registry.hpp"
#include "core/validate.hpp"
#include "godot/log.hpp"

namespace lk::api {

bool activation_has_param(Activation act, const char* name) {
    const ActivationInfo& info = activation_info(act);
    for (int k = 0; k < info.param_count; ++k) {
        if (std::string(info.param_names[k]) == name) return true;
    }
    return false;
}

namespace {

bool add_op(Model* m, const char* type, const Attrs& attrs, std::vector<TensorId> inputs, TensorId* out,
            std::string* err) {
    std::unique_ptr<Op> op = make_op(type, attrs, err);
    if (!op) return false;
    *out = m->add(std::move(op), std::move(inputs));
    return true;
}

// A dense layer: dense op, then an activation op unless identity. The declared input width is checked against
// the previous layer's output when the model validates.
bool add_dense(Model* m, const DenseDesc& d, TensorId in, TensorId* out, std::string* err) {
    if (static_cast<int>(d.act) >= ACTIVATION_COUNT) {  // enums are unsigned: only the top can be out
        *err = str("unknown activation id ", static_cast<int>(d.act), ": expected 0 to ", ACTIVATION_COUNT - 1);
        return false;
    }
    Attrs a;
    a.set("units", double(d.out)).set("inputs", double(d.in));
    if (!add_op(m, "dense", a, {in}, out, err)) return false;
    if (d.act == Activation::IDENTITY) return true;
    Attrs act;
    act.set("activation", std::string(activation_info(d.act).name));
    // NAN: the spec's defaults. LKDense carries an alpha for every activation (it predates named parameters):
    // it goes to the activation's parameter named alpha, if it has one.
    if (!std::isnan(d.alpha) && activation_has_param(d.act, "alpha")) act.set("alpha", double(d.alpha));
    return add_op(m, "activation", act, {*out}, out, err);
}

// Appends one description (recursively for residual blocks); *cur is the running output tensor.
bool add_layer(Model* m, const gd::Variant& v, const std::string& path, TensorId* cur, uint32_t* first_width,
               std::string* err) {
    ExtRef<LKDense> d = ExtRef<LKDense>::from_variant(v);
    if (d) {
        if (*first_width == 0) *first_width = uint32_t(d->inputs);
        return add_dense(m, {uint32_t(d->inputs), uint32_t(d->outputs), d->act, to_f32(d->alpha_value)}, *cur, cur,
                         err);
    }
    ExtRef<LKLayer> l = ExtRef<LKLayer>::from_variant(v);
    if (!l) {
        *err = str(path, " is ", v.describe(), ": expected an LKDense (LearnKit.dense()) or an LKLayer "
                   "(LearnKit.activation(), dropout(), batch_norm(), layer_norm(), residual(), layer())");
        return false;
    }
    if (l->type != "residual") return add_op(m, l->type.c_str(), l->settings, {*cur}, cur, err);
    const TensorId skip = *cur;
    for (int64_t i = 0; i < l->layers.size(); ++i) {
        if (!add_layer(m, l->layers[i], str(path, ".layers[", i, "]"), cur, first_width, err)) return false;
    }
    return add_op(m, "add", Attrs(), {skip, *cur}, cur, err);
}

ExtRef<LKNetwork> finish_network(ExtRef<LKNetwork> net, Init init, uint64_t seed, const std::string& device,
                                 const char* where) {
    const std::string& problem = net->net.validate();
    if (!problem.empty()) {
        push_error(where, problem);
        return {};
    }
    net->net.init(init, seed);
    net->device = device;
    return net;
}

}  // namespace

ExtRef<LKNetwork> make_network(const std::vector<DenseDesc>& layers, Init init, uint64_t seed,
                               const std::string& device, const char* where) {
    if (layers.empty()) {
        push_error(where, "no layers: expected at least one layer");
        return {};
    }
    ExtRef<LKNetwork> net = ExtRef<LKNetwork>::create();
    net->net.set_input(Shape::features(layers[0].in));
    TensorId cur = 0;
    std::string err;
    for (const DenseDesc& d : layers) {
        if (!add_dense(&net->net, d, cur, &cur, &err)) {
            push_error(where, err);
            return {};
        }
    }
    return finish_network(net, init, seed, device, where);
}

ExtRef<LKNetwork> make_sequential(const gd::Array& layers, Init init, uint64_t seed, const std::string& device,
                                  const char* where) {
    if (layers.size() == 0) {
        push_error(where, "no layers: expected at least one layer");
        return {};
    }
    ExtRef<LKNetwork> net = ExtRef<LKNetwork>::create();
    TensorId cur = 0;
    uint32_t first_width = 0;
    std::string err;
    for (int64_t i = 0; i < layers.size(); ++i) {
        if (!add_layer(&net->net, layers[i], str("layers[", i, "]"), &cur, &first_width, &err)) {
            push_error(where, err);
            return {};
        }
    }
    if (first_width == 0) {
        push_error(where, "the first layer must say the input width: start with LearnKit.dense(inputs, outputs, ...)"
                          " or use LearnKit.network(input_size) and add_op()");
        return {};
    }
    net->net.set_input(Shape::features(first_width));
    return finish_network(net, init, seed, device, where);
}

ExtRef<LKLayer> make_layer(const std::string& type, const gd::Dictionary& settings, const gd::Array& layers,
                           const char* where) {
    ExtRef<LKLayer> l = ExtRef<LKLayer>::create();
    l->type = type;
    std::string err;
    if (!attrs_from_dict(settings, &l->settings, &err)) {
        push_error(where, err);
        return {};
    }
    if (type == "residual") {
        if (layers.size() == 0) {
            push_error(where, "a residual block needs at least one layer");
            return {};
        }
        l->layers = layers;
        return l;
    }
    if (!make_op(type, l->settings, &err)) {  // validate now: the mistake is reported where it is made
        push_error(where, err);
        return {};
    }
    return l;
}

ExtRef<LKOptimizer> make_optimizer(Optimizer kind, double beta1, double beta2, double epsilon, double momentum,
                                   double weight_decay, double clip_norm, const char* where) {
    TrainConfig cfg = TrainConfig::for_optimizer(kind);
    cfg.hyper.beta1 = to_f32(beta1);
    cfg.hyper.beta2 = to_f32(beta2);
    cfg.hyper.epsilon = to_f32(epsilon);
    cfg.hyper.momentum = to_f32(momentum);
    cfg.hyper.weight_decay = to_f32(weight_decay);
    cfg.clip_norm = to_f32(clip_norm);
    // The checks fit() applies, now: a bad value is reported where it is written, not epochs later. The
    // doubles are checked too, since a value like 1e39 becomes INF in float.
    const double values[] = {beta1, beta2, epsilon, momentum, weight_decay, clip_norm};
    const char* names[] = {"beta1", "beta2", "epsilon", "momentum", "weight_decay", "clip_norm"};
    std::string problem;
    for (int i = 0; i < 6 && problem.empty(); ++i) {
        if (!std::isfinite(values[i]) || !fits_f32(values[i])) {
            problem = str(names[i], " is ", values[i], ": expected a finite number");
        }
    }
    if (problem.empty()) problem = check_config(cfg, false);
    if (!problem.empty()) {
        push_error(where, problem);
        return {};
    }
    ExtRef<LKOptimizer> opt = ExtRef<LKOptimizer>::create();
    opt->kind = kind;
    opt->hyper = cfg.hyper;
    opt->clip_norm = clip_norm;
    return opt;
}

ExtRef<LKOptimizer> default_optimizer(Optimizer kind) {
    ExtRef<LKOptimizer> opt = ExtRef<LKOptimizer>::create();
    opt->kind = kind;
    opt->hyper = optimizer_info(kind).defaults;
    return opt;
}

ExtRef<LKSchedule> make_schedule(bool cosine, double lr_max, int64_t period, double lr_min, const char* where) {
    ExtRef<LKSchedule> s = ExtRef<LKSchedule>::create();
    s->lr_max = lr_max;
    s->schedule.kind = cosine ? Schedule::Kind::COSINE : Schedule::Kind::CONSTANT;
    s->schedule.lr_min = to_f32(lr_min);
    s->schedule.period = int(std::clamp<int64_t>(period, -1, 1 << 30));
    std::string problem = validate_schedule(s->schedule, to_f32(lr_max));
    if (cosine && period <= 0) problem = str("period is ", period, ": expected a positive number of epochs");
    if (!problem.empty()) {
        push_error(where, problem);
        return {};
    }
    return s;
}

ExtRef<LKTrainer> make_trainer(const ExtRef<LKNetwork>& network, const char* where) {
    if (!network) {
        push_error(where, "network is null: expected an LKNetwork");
        return {};
    }
    ExtRef<LKTrainer> t = ExtRef<LKTrainer>::create();
    t->network = network;
    t->optimizer = default_optimizer(Optimizer::ADAM);
    return t;
}

bool device_from_runner(const gd::Variant& runner, std::string* device, const char* where) {
    if (runner.is_nil()) {
        *device = "auto";
        return true;
    }
    if (runner.get_type() == GDEXTENSION_VARIANT_TYPE_STRING) {
        const std::string d = runner.as_string().utf8();
        if (valid_device(d)) {
            *device = d;
            return true;
        }
    }
    push_error(where, str("runner is ", runner.describe(), ": expected null, \"auto\", \"gpu\" or \"cpu\""));
    return false;
}

}  // namespace lk::api
