#include "api/factories.hpp"

#include <algorithm>
#include <cmath>

#include "api/convert.hpp"
#include "core/dense_layer.hpp"
#include "godot/log.hpp"

namespace lk::api {

ExtRef<LKNetwork> make_network(const std::vector<DenseDesc>& layers, Init init, uint64_t seed,
                               const std::string& device, const char* where) {
    if (layers.empty()) {
        push_error(where, "no layers: expected at least one layer");
        return {};
    }
    ExtRef<LKNetwork> net = ExtRef<LKNetwork>::create();
    for (const DenseDesc& d : layers) net->net.add_dense(d.in, d.out, d.act, d.alpha);
    const std::string problem = net->net.validate();
    if (!problem.empty()) {
        push_error(where, problem);
        return {};
    }
    net->net.init(init, seed);
    net->device = device;
    return net;
}

ExtRef<LKOptimizer> make_optimizer(Optimizer kind, double beta1, double beta2, double epsilon, double momentum,
                                   double weight_decay, double clip_norm, const char* where) {
    const double values[] = {beta1, beta2, epsilon, momentum, weight_decay, clip_norm};
    const char* names[] = {"beta1", "beta2", "epsilon", "momentum", "weight_decay", "clip_norm"};
    for (int i = 0; i < 6; ++i) {
        if (!std::isfinite(values[i]) || values[i] < 0.0 || (i < 2 && values[i] >= 1.0)) {
            push_error(where, str(names[i], " is ", values[i], ": expected a finite value ",
                                  i < 2 ? "in [0, 1)" : ">= 0"));
            return {};
        }
    }
    ExtRef<LKOptimizer> opt = ExtRef<LKOptimizer>::create();
    opt->kind = kind;
    opt->hyper = optimizer_info(kind).defaults;
    opt->hyper.beta1 = float(beta1);
    opt->hyper.beta2 = float(beta2);
    opt->hyper.epsilon = float(epsilon);
    opt->hyper.momentum = float(momentum);
    opt->hyper.weight_decay = float(weight_decay);
    opt->clip_norm = clip_norm;
    return opt;
}

ExtRef<LKSchedule> make_schedule(bool cosine, double lr_max, int64_t period, double lr_min, const char* where) {
    ExtRef<LKSchedule> s = ExtRef<LKSchedule>::create();
    s->lr_max = lr_max;
    s->schedule.kind = cosine ? Schedule::Kind::COSINE : Schedule::Kind::CONSTANT;
    s->schedule.lr_min = float(lr_min);
    s->schedule.period = int(std::clamp<int64_t>(period, -1, 1 << 30));
    std::string problem = validate_schedule(s->schedule, float(lr_max));
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
    t->optimizer = make_optimizer(Optimizer::ADAM, 0.9, 0.999, 1e-8, 0.0, 0.0, 0.0, where);
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
