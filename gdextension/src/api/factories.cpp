#include "api/factories.hpp"

#include <algorithm>
#include <cmath>

#include "api/catalogue_names.hpp"
#include "api/convert.hpp"
#include "core/custom_activation.hpp"
#include "core/f32.hpp"
#include "core/init_attrs.hpp"
#include "core/metrics.hpp"
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
    if (d.init) init_to_attrs(*d.init, &a);
    if (!add_op(m, "dense", a, {in}, out, err)) return false;
    if (d.act == Activation::IDENTITY) return true;
    Attrs act;
    act.set("activation", std::string(activation_info(d.act).name));
    // NAN: the spec's defaults. LKDense carries an alpha for every activation (it predates named parameters):
    // it goes to the activation's parameter named alpha, if it has one.
    if (!std::isnan(d.alpha) && activation_has_param(d.act, "alpha")) act.set("alpha", double(d.alpha));
    return add_op(m, "activation", act, {*out}, out, err);
}

// A dense layer whose activation is a custom one (core/custom_activation.hpp): the same two ops, by name.
bool add_custom_dense(Model* m, const LKDense& d, TensorId in, TensorId* out, std::string* err) {
    Attrs a;
    a.set("units", double(d.outputs)).set("inputs", double(d.inputs));
    if (d.own_init) init_to_attrs(d.init, &a);
    if (!add_op(m, "dense", a, {in}, out, err)) return false;
    Attrs act;
    act.set("activation", d.custom);
    const CustomActivation* c = find_custom_activation(d.custom);
    const bool has_alpha =
        c && std::find(c->param_names.begin(), c->param_names.end(), "alpha") != c->param_names.end();
    if (!std::isnan(d.alpha_value) && has_alpha) act.set("alpha", d.alpha_value);
    return add_op(m, "activation", act, {*out}, out, err);
}

// Appends one description (recursively for residual blocks); *cur is the running output tensor.
bool add_layer(Model* m, const gd::Variant& v, const std::string& path, TensorId* cur, uint32_t* first_width,
               std::string* err) {
    ExtRef<LKDense> d = ExtRef<LKDense>::from_variant(v);
    if (d) {
        if (*first_width == 0) *first_width = uint32_t(d->inputs);
        if (!d->custom.empty()) return add_custom_dense(m, *d.get(), *cur, cur, err);
        return add_dense(m, {uint32_t(d->inputs), uint32_t(d->outputs), d->act, to_f32(d->alpha_value),
                             d->own_init ? &d->init : nullptr}, *cur, cur,
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

ExtRef<LKNetwork> finish_network(ExtRef<LKNetwork> net, const InitSpec& init, uint64_t seed,
                                 const std::string& device, const char* where) {
    const std::string& problem = net->net.validate();
    if (!problem.empty()) {
        push_error(where, problem);
        return {};
    }
    if (std::string e = net->net.init(init, seed); !e.empty()) {
        push_error(where, e);
        return {};
    }
    net->device = device;
    return net;
}

}  // namespace

ExtRef<LKNetwork> make_network(const std::vector<DenseDesc>& layers, const InitSpec& init, uint64_t seed,
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

ExtRef<LKNetwork> make_sequential(const gd::Array& layers, const InitSpec& init, uint64_t seed,
                                  const std::string& device, const char* where) {
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

ExtRef<LKOptimizer> make_named_optimizer(const std::string& name, const gd::Dictionary& hyperparameters,
                                         const char* where) {
    Optimizer kind;
    if (!optimizer_from_name(name, &kind)) {
        push_error(where, str("unknown optimizer \"", name, "\": expected ", optimizer_names()));
        return {};
    }
    ExtRef<LKOptimizer> opt = default_optimizer(kind);
    const gd::Array keys = hyperparameters.keys();
    for (int64_t i = 0; i < keys.size(); ++i) {
        gd::Variant v;
        hyperparameters.lookup(keys[i], &v);
        const std::string key = keys[i].get_type() == GDEXTENSION_VARIANT_TYPE_STRING ? keys[i].as_string().utf8() : "";
        std::string problem;
        if (key == "clip_norm" || key == "max_norm") {
            problem = v.is_number() && v.as_double() >= 0.0 && fits_f32(v.as_double())
                          ? "" : str("clip_norm is ", v.describe(), ": expected a number >= 0 (0 = off)");
            if (problem.empty()) opt->clip_norm = v.as_double();
        } else {
            problem = key.empty() ? str("key ", keys[i].describe(), ": expected a hyperparameter name (String)")
                                  : opt->assign(key, v);
        }
        if (!problem.empty()) {
            push_error(where, problem);
            return {};
        }
    }
    const std::string problem = check_hyperparameters(kind, opt->hyper);  // the spec's cross checks (Nesterov)
    if (!problem.empty()) {
        push_error(where, problem);
        return {};
    }
    return opt;
}

namespace {

// One schedule setting: reads v into the schedule or says what is wrong.
using Setter = std::string (*)(Schedule* s, const gd::Variant& v);

std::string number_into(const gd::Variant& v, double* out, const char* name) {
    if (!v.is_number() || !std::isfinite(v.as_double())) return str(name, " is ", v.describe(), ": expected a number");
    *out = v.as_double();
    return "";
}
std::string int_into(const gd::Variant& v, int* out, const char* name) {
    const double d = v.is_number() ? v.as_double() : NAN;
    if (!(d == std::floor(d) && d >= 0.0 && d <= double(1 << 30))) {
        return str(name, " is ", v.describe(), ": expected an integer >= 0");
    }
    *out = int(d);
    return "";
}
std::string bool_into(const gd::Variant& v, bool* out, const char* name) {
    if (v.get_type() != GDEXTENSION_VARIANT_TYPE_BOOL) return str(name, " is ", v.describe(), ": expected a bool");
    *out = v.as_bool();
    return "";
}
std::string ints_into(const gd::Variant& v, std::vector<int>* out, const char* name) {
    if (v.get_type() != GDEXTENSION_VARIANT_TYPE_ARRAY) return str(name, " is ", v.describe(), ": expected an Array of int");
    const gd::Array a = v.as_array();
    out->clear();
    for (int64_t i = 0; i < a.size(); ++i) {
        int m = 0;
        if (!int_into(a[i], &m, name).empty()) return str(name, "[", i, "] is ", a[i].describe(), ": expected an int >= 0");
        out->push_back(m);
    }
    return "";
}

struct SettingDef {
    const char* name;
    Setter set;
};

#define LK_NUM(key, field) {key, [](Schedule* s, const gd::Variant& v) { return number_into(v, &s->field, key); }}
#define LK_INT(key, field) {key, [](Schedule* s, const gd::Variant& v) { return int_into(v, &s->field, key); }}
#define LK_BOOL(key, field) {key, [](Schedule* s, const gd::Variant& v) { return bool_into(v, &s->field, key); }}

std::string lr_min_into(Schedule* s, const gd::Variant& v, const char* key) {
    double d = 0.0;
    std::string e = number_into(v, &d, key);
    if (e.empty()) s->lr_min = float(d);
    return e;
}

// Plateau's monitor: a name of the epoch's log (what early_stopping accepts). Whether this fit computes it
// (validation data, the metrics option) is checked when a fit starts (check_schedule_watch).
std::string plateau_monitor_into(Schedule* s, const gd::Variant& v) {
    const bool text = v.get_type() == GDEXTENSION_VARIANT_TYPE_STRING ||
                      v.get_type() == GDEXTENSION_VARIANT_TYPE_STRING_NAME;
    const std::string m = text ? v.as_string().utf8() : "";
    const std::string base = m.rfind("val_", 0) == 0 ? m.substr(4) : m;
    metrics::Metric metric;
    if (m == "train_loss" || m == "loss") {
        s->monitor = "loss";  // "train_loss": the name before fit() had validation, kept
    } else if (base == "loss" || metrics::metric_from_name(base, &metric)) {
        s->monitor = m;
    } else {
        return str("monitor is ", v.describe(), ": expected \"train_loss\" (or \"loss\"), \"val_loss\", a metric (",
                   metrics::metric_names(), ") or \"val_\" and a metric");
    }
    return std::string();
}

// Settings by torch's argument names, per kind ("per_step" and "learning_rate" are common to all).
std::vector<SettingDef> settings_of(Schedule::Kind kind) {
    using K = Schedule::Kind;
    switch (kind) {
        case K::CONSTANT: return {LK_NUM("factor", start_factor), LK_INT("total_iters", period)};
        case K::COSINE: return {LK_INT("T_max", period), {"eta_min", [](Schedule* s, const gd::Variant& v) {
                                    return lr_min_into(s, v, "eta_min"); }}};
        case K::STEP: return {LK_INT("step_size", period), LK_NUM("gamma", gamma)};
        case K::MULTI_STEP: return {{"milestones", [](Schedule* s, const gd::Variant& v) {
                                         std::string e = ints_into(v, &s->milestones, "milestones");
                                         std::sort(s->milestones.begin(), s->milestones.end());
                                         return e; }}, LK_NUM("gamma", gamma)};
        case K::EXPONENTIAL: return {LK_NUM("gamma", gamma)};
        case K::LINEAR: return {LK_NUM("start_factor", start_factor), LK_NUM("end_factor", end_factor),
                                LK_INT("total_iters", period)};
        case K::COSINE_RESTARTS: return {LK_INT("T_0", period), LK_INT("T_mult", mult),
                                         {"eta_min", [](Schedule* s, const gd::Variant& v) {
                                             return lr_min_into(s, v, "eta_min"); }}};
        case K::ONE_CYCLE: return {LK_INT("total_steps", period), LK_NUM("pct_start", pct_start),
                                   LK_NUM("div_factor", div_factor), LK_NUM("final_div_factor", final_div_factor),
                                   LK_BOOL("three_phase", three_phase),
                                   {"anneal_strategy", [](Schedule* s, const gd::Variant& v) {
                                       const std::string a = v.get_type() == GDEXTENSION_VARIANT_TYPE_STRING
                                                                 ? v.as_string().utf8() : "";
                                       s->anneal_cos = a == "cos";
                                       return a == "cos" || a == "linear" ? std::string()
                                           : str("anneal_strategy is ", v.describe(), ": expected \"cos\" or \"linear\"");
                                   }}};
        case K::POLYNOMIAL: return {LK_INT("total_iters", period), LK_NUM("power", power)};
        case K::PLATEAU: return {LK_NUM("factor", gamma), LK_INT("patience", patience), LK_NUM("threshold", threshold),
                                 {"threshold_mode", [](Schedule* s, const gd::Variant& v) {
                                     const std::string m = v.get_type() == GDEXTENSION_VARIANT_TYPE_STRING
                                                               ? v.as_string().utf8() : "";
                                     s->threshold_rel = m == "rel";
                                     return m == "rel" || m == "abs" ? std::string()
                                         : str("threshold_mode is ", v.describe(), ": expected \"rel\" or \"abs\"");
                                 }},
                                 LK_INT("cooldown", cooldown),
                                 {"min_lr", [](Schedule* s, const gd::Variant& v) { return lr_min_into(s, v, "min_lr"); }},
                                 {"monitor", plateau_monitor_into},
                                 {"mode", [](Schedule* s, const gd::Variant& v) {
                                     const std::string m = v.get_type() == GDEXTENSION_VARIANT_TYPE_STRING
                                                               ? v.as_string().utf8() : "";
                                     s->maximize = m == "max";
                                     return m == "min" || m == "max" ? std::string()
                                         : str("mode is ", v.describe(), ": expected \"min\" or \"max\"");
                                 }}};
        case K::SEQUENCE: return {{"milestones", [](Schedule* s, const gd::Variant& v) {
                                       return ints_into(v, &s->milestones, "milestones"); }},
                                  {"schedules", [](Schedule* s, const gd::Variant& v) {
                                       if (v.get_type() != GDEXTENSION_VARIANT_TYPE_ARRAY) {
                                           return str("schedules is ", v.describe(), ": expected an Array of LKSchedule");
                                       }
                                       const gd::Array a = v.as_array();
                                       s->children.clear();
                                       for (int64_t i = 0; i < a.size(); ++i) {
                                           ExtRef<LKSchedule> c = ExtRef<LKSchedule>::from_variant(a[i]);
                                           if (!c) return str("schedules[", i, "] is ", a[i].describe(), ": expected an LKSchedule");
                                           s->children.push_back(c->schedule);
                                       }
                                       return std::string();
                                   }}};
    }
    return {};
}
#undef LK_NUM
#undef LK_INT
#undef LK_BOOL

}  // namespace

ExtRef<LKSchedule> make_named_schedule(const std::string& kind_name, const gd::Dictionary& settings,
                                       const char* where) {
    Schedule::Kind kind;
    if (!schedule_kind_from_name(kind_name, &kind)) {
        std::string names;
        for (int i = 0; i <= int(Schedule::Kind::SEQUENCE); ++i) {
            names += (i ? ", \"" : "\"") + std::string(schedule_kind_name(Schedule::Kind(i))) + "\"";
        }
        push_error(where, str("unknown schedule \"", kind_name, "\": expected ", names));
        return {};
    }
    ExtRef<LKSchedule> out = ExtRef<LKSchedule>::create();
    out->lr_max = 0.0;  // the trainer's learning rate unless settings say "learning_rate"
    out->schedule.kind = kind;
    out->schedule.per_step = kind == Schedule::Kind::ONE_CYCLE;  // torch steps OneCycleLR per batch
    if (kind == Schedule::Kind::STEP) out->schedule.period = 1;
    if (kind == Schedule::Kind::LINEAR || kind == Schedule::Kind::CONSTANT || kind == Schedule::Kind::POLYNOMIAL) {
        out->schedule.period = 5;  // torch's total_iters default
    }
    if (kind == Schedule::Kind::CONSTANT) out->schedule.start_factor = 1.0;  // plain constant unless factor given
    if (kind == Schedule::Kind::PLATEAU) out->schedule.gamma = 0.1;
    const std::vector<SettingDef> defs = settings_of(kind);
    const gd::Array keys = settings.keys();
    for (int64_t i = 0; i < keys.size(); ++i) {
        gd::Variant v;
        settings.lookup(keys[i], &v);
        const std::string key = keys[i].get_type() == GDEXTENSION_VARIANT_TYPE_STRING ? keys[i].as_string().utf8() : "";
        std::string problem;
        if (key == "per_step") {
            problem = bool_into(v, &out->schedule.per_step, "per_step");
        } else if (key == "learning_rate") {
            problem = number_into(v, &out->lr_max, "learning_rate");
            if (problem.empty() && !(out->lr_max > 0.0)) problem = str("learning_rate is ", out->lr_max, ": expected > 0");
        } else {
            const auto it = std::find_if(defs.begin(), defs.end(), [&](const SettingDef& d) { return key == d.name; });
            if (it == defs.end()) {
                std::string names = "per_step, learning_rate";
                for (const SettingDef& d : defs) names += str(", ", d.name);
                problem = str("\"", keys[i].describe(), "\" is not a setting of the ", kind_name, " schedule: expected ",
                              names);
            } else {
                problem = it->set(&out->schedule, v);
            }
        }
        if (!problem.empty()) {
            push_error(where, problem);
            return {};
        }
    }
    if (kind == Schedule::Kind::SEQUENCE && !out->schedule.children.empty()) {
        out->schedule.per_step = out->schedule.children[0].per_step;
        for (Schedule& c : out->schedule.children) c.per_step = out->schedule.per_step;
    }
    const std::string problem = validate_schedule(out->schedule, out->lr_max > 0.0 ? float(out->lr_max) : 1.0f);
    if (!problem.empty()) {
        push_error(where, problem);
        return {};
    }
    return out;
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
