#include "api/network_api.hpp"

#include <cstring>

#include "api/backends.hpp"
#include "api/catalogue_names.hpp"
#include "api/convert.hpp"
#include "api/init_settings.hpp"
#include "api/model_file.hpp"
#include "core/arena_layout.hpp"
#include "core/op_registry.hpp"
#include "core/validate.hpp"
#include "godot/log.hpp"

namespace lk::api {

gd::String LKDense::get_activation() const { return gd::String(custom.empty() ? activation_info(act).name : custom); }

gd::Dictionary LKLayer::get_settings() const { return attrs_to_dict(settings); }

bool attrs_from_dict(const gd::Dictionary& d, Attrs* out, std::string* err) {
    gd::Array keys = d.keys();
    for (int64_t i = 0; i < keys.size(); ++i) {
        const gd::Variant& key = keys[i];
        if (key.get_type() != GDEXTENSION_VARIANT_TYPE_STRING) {
            *err = str("settings key ", key.describe(), " is not a String");
            return false;
        }
        const std::string k = key.as_string().utf8();
        gd::Variant v;
        d.lookup(key, &v);
        if (v.get_type() == GDEXTENSION_VARIANT_TYPE_STRING) {
            out->set(k, v.as_string().utf8());
        } else if (v.get_type() == GDEXTENSION_VARIANT_TYPE_BOOL) {
            out->set(k, v.as_bool() ? 1.0 : 0.0);
        } else if (v.is_number()) {
            out->set(k, v.as_double());
        } else {
            *err = str("setting \"", k, "\" is ", v.describe(), ": expected a number, a bool or a String");
            return false;
        }
    }
    return true;
}

gd::Dictionary attrs_to_dict(const Attrs& attrs) {
    gd::Dictionary d;
    for (const auto& kv : attrs.items()) {
        d[gd::Variant(kv.first)] = kv.second.is_string ? gd::Variant(kv.second.text) : gd::Variant(kv.second.number);
    }
    return d;
}

gd::Dictionary LKNetwork::get_model() const { return model_doc(false); }

gd::Dictionary LKNetwork::model_doc(bool raw_tensors) const {
    gd::Dictionary doc = model_to_dict(net, device, raw_tensors);
    // Optional keys (absent in older files, which still load): the scalers as plain data.
    if (input_scaler) doc[gd::Variant("input_scaler")] = gd::Variant(scaler_to_dict(input_scaler->s));
    if (output_scaler) doc[gd::Variant("output_scaler")] = gd::Variant(scaler_to_dict(output_scaler->s));
    return doc;
}

bool LKNetwork::load_model(const gd::Dictionary& doc, std::string* err) {
    Model loaded;
    std::string dev;
    if (!model_from_dict(doc, &loaded, &dev, err)) return false;
    ExtRef<LKScaler> scalers[2];
    const char* keys[2] = {"input_scaler", "output_scaler"};
    for (int k = 0; k < 2; ++k) {
        gd::Variant entry;
        if (!doc.lookup(gd::Variant(keys[k]), &entry) || entry.is_nil()) continue;
        Scaler s;
        if (!scaler_from_dict(entry, &s, err)) {
            *err = str("has ", keys[k], " that ", *err);
            return false;
        }
        scalers[k] = ExtRef<LKScaler>::create();
        scalers[k]->s = std::move(s);
    }
    net = loaded;
    device = dev;
    input_scaler = scalers[0];
    output_scaler = scalers[1];
    return true;
}

void LKNetwork::set_model(const gd::Dictionary& value) {
    const char* where = "LKNetwork.model";
    if (net.is_training()) {
        push_error(where, "the network is being trained: replace it before or after fit()");
        return;
    }
    std::string err;
    if (!load_model(value, &err)) {
        // Godot gives a property setter no way to fail a load, and the path is not set yet while loading.
        const std::string path = gd::Resource(owner()).get_path().utf8();
        push_error(where, path.empty() ? str("the model ", err) : str("\"", path, "\" ", err));
        return;
    }
    gd::Resource(owner()).emit_changed();
}

void LKNetwork::set_device(const gd::String& value) {
    const std::string d = value.utf8();
    if (!valid_device(d)) {
        push_error("LKNetwork.device", str("unknown device \"", d, "\": expected \"auto\", \"gpu\" or \"cpu\""));
        return;
    }
    device = d;
}

int64_t LKNetwork::get_layer_count() const { return get_layers().size(); }

gd::Array LKNetwork::get_layers() const { return layer_view(net); }

gd::Array LKNetwork::get_ops() const {
    gd::Array out;
    for (size_t i = 0; i < net.op_count(); ++i) {
        const OpNode& n = net.node(i);
        gd::Dictionary d;
        d[gd::Variant("name")] = gd::Variant(n.name);
        d[gd::Variant("type")] = gd::Variant(n.op->type());
        gd::Array inputs;
        for (TensorId t : n.inputs) inputs.push_back(gd::Variant(int64_t(t)));
        d[gd::Variant("inputs")] = gd::Variant(inputs);
        d[gd::Variant("output")] = gd::Variant(int64_t(n.output));
        gd::Array shape;
        const Shape& s = net.tensor(n.output).shape;
        for (int k = 0; k < s.rank; ++k) shape.push_back(gd::Variant(int64_t(s.dims[k])));
        d[gd::Variant("shape")] = gd::Variant(shape);
        d[gd::Variant("settings")] = gd::Variant(attrs_to_dict(n.op->attrs()));
        gd::Array params;
        for (const ParamDesc& p : n.params) params.push_back(gd::Variant(p.name));
        d[gd::Variant("parameters")] = gd::Variant(params);
        out.push_back(gd::Variant(d));
    }
    return out;
}

gd::Array LKNetwork::get_parameters() const {
    std::lock_guard<std::mutex> lock(net.param_mutex());
    return per_op_tensors(net, nullptr);
}

int64_t LKNetwork::set_parameters(const gd::Array& parameters) {
    const char* where = "LKNetwork.set_parameters";
    if (!net.validate().empty()) {
        push_error(where, net.validate());
        return gd::ERR_UNCONFIGURED;
    }
    if (net.is_training()) {
        push_error(where, "the network is being trained (by another thread, or this is an epoch_completed handler "
                          "of its fit()): set parameters before or after fit(), not during it");
        return gd::ERR_BUSY;
    }
    std::vector<float> params, buffers;
    {
        std::lock_guard<std::mutex> lock(net.param_mutex());
        params = net.params();
        buffers = net.buffers();
    }
    std::string err;
    if (!tensors_from_array(net, parameters, &params, &buffers, &err)) {
        push_error(where, err);
        return gd::ERR_INVALID_PARAMETER;
    }
    std::lock_guard<std::mutex> lock(net.param_mutex());
    if (!params.empty()) std::memcpy(net.mutable_params(), params.data(), params.size() * sizeof(float));
    if (!buffers.empty()) std::memcpy(net.mutable_buffers(), buffers.data(), buffers.size() * sizeof(float));
    return gd::OK;
}

int64_t LKNetwork::add_op(const gd::String& type, const gd::Dictionary& settings, const gd::Array& inputs,
                          const gd::String& name) {
    const char* where = "LKNetwork.add_op";
    if (net.is_training()) {
        push_error(where, "the network is being trained: change its graph before or after fit()");
        return -1;
    }
    Attrs attrs;
    std::string err;
    std::vector<TensorId> ins;
    for (int64_t i = 0; i < inputs.size(); ++i) {
        const gd::Variant& v = inputs[i];
        if (!v.is_number() || v.as_double() != double(int64_t(v.as_double())) || v.as_double() < 0 ||
            v.as_double() >= double(net.tensor_count())) {
            push_error(where, str("inputs[", i, "] is ", v.describe(), ": expected a tensor id returned by add_op() "
                                  "(0 = the network's input, at most ", net.tensor_count() - 1, ")"));
            return -1;
        }
        ins.push_back(TensorId(v.as_double()));
    }
    if (!attrs_from_dict(settings, &attrs, &err)) {
        push_error(where, err);
        return -1;
    }
    std::unique_ptr<Op> op = make_op(type.utf8(), attrs, &err);
    if (!op) {
        push_error(where, err);
        return -1;
    }
    Model candidate(net);
    const TensorId out = candidate.add(std::move(op), ins, name.utf8());
    // The input shape may still be missing; every other problem is the new op's.
    std::string problem = candidate.validate();
    if (problem == "the model has no input shape") problem.clear();
    if (!problem.empty()) {
        push_error(where, problem);
        return -1;
    }
    net = candidate;
    return int64_t(out);
}

int64_t LKNetwork::initialize(const gd::Variant& init, int64_t seed) {
    const char* where = "LKNetwork.initialize";
    InitSpec in;
    if (std::string e = init_from_variant(init, &in); !e.empty()) {
        push_error(where, e);
        return gd::ERR_INVALID_PARAMETER;
    }
    if (!net.validate().empty()) {
        push_error(where, net.validate());
        return gd::ERR_UNCONFIGURED;
    }
    if (net.is_training()) {
        push_error(where, "the network is being trained: initialise it before or after fit()");
        return gd::ERR_BUSY;
    }
    if (std::string e = net.init(in, uint64_t(seed)); !e.empty()) {
        push_error(where, e);
        return gd::ERR_INVALID_PARAMETER;
    }
    return gd::OK;
}

bool LKNetwork::run_forward(const std::vector<float>& X, size_t rows, std::vector<float>* Y, const char* where,
                            std::vector<std::vector<float>>* tensors) {
    const std::string& problem = net.validate();
    if (!problem.empty()) {
        push_error(where, problem);
        return false;
    }
    std::lock_guard<std::mutex> lock(runner_mutex_);
    Backend* backend = choose_backend(device, net, rows, where, runner_);
    if (!backend) return false;
    std::string err;
    if (!runner_.predict(net, X.data(), rows, *backend, Y, &err, tensors)) {
        push_error(where, err);
        return false;
    }
    const std::string bad = check_finite("output", Y->data(), Y->size(), net.output_width());
    if (!bad.empty()) {  // finite inputs can still overflow float32 inside the network: say so, once per call
        push_warning(where, str(bad, " (float32 overflow inside the network: its parameters or inputs are too large)"));
    }
    note_used(*backend);
    return true;
}

gd::Array LKNetwork::predict(const gd::Array& inputs) {
    const char* where = "LKNetwork.predict";
    uint32_t width = net.input_width();
    std::vector<float> X, Y;
    std::string err;
    if (!rows_to_matrix(inputs, "inputs", &width, &X, &err)) {
        push_error(where, err);
        return gd::Array();
    }
    const size_t rows = X.size() / width;
    if (!run_forward(X, rows, &Y, where)) return gd::Array();
    return matrix_to_rows(Y, rows, net.output_width());
}

gd::PackedFloat32Array LKNetwork::predict_flat(const gd::PackedFloat32Array& data, int64_t rows) {
    const char* where = "LKNetwork.predict_flat";
    const std::string bad = check_matrix("data", data.data(), size_t(data.size()), rows > 0 ? size_t(rows) : 0,
                                         net.input_width());
    if (rows <= 0 || !bad.empty()) {
        push_error(where, rows <= 0 ? str("rows is ", rows, ": expected a positive row count") : bad);
        return gd::PackedFloat32Array();
    }
    std::vector<float> X(data.data(), data.data() + data.size()), Y;
    if (!run_forward(X, size_t(rows), &Y, where)) return gd::PackedFloat32Array();
    return to_packed(Y.data(), Y.size());
}

gd::Array LKNetwork::forward_trace(const gd::PackedFloat32Array& input) {
    const char* where = "LKNetwork.forward_trace";
    const std::string bad = check_matrix("input", input.data(), size_t(input.size()), 1, net.input_width());
    if (!bad.empty()) {
        push_error(where, bad);
        return gd::Array();
    }
    std::vector<float> X(input.data(), input.data() + input.size()), Y;
    std::vector<std::vector<float>> tensors;
    if (!run_forward(X, 1, &Y, where, &tensors)) return gd::Array();
    gd::Array out;
    for (size_t t = 0; t < net.tensor_count(); ++t) {
        const TensorInfo& info = net.tensor(TensorId(t));
        gd::Dictionary d;
        d[gd::Variant("name")] = gd::Variant(info.name);
        d[gd::Variant("type")] = gd::Variant(info.producer < 0 ? "input" : net.op(size_t(info.producer)).type());
        gd::Array shape;
        for (int k = 0; k < info.shape.rank; ++k) shape.push_back(gd::Variant(int64_t(info.shape.dims[k])));
        d[gd::Variant("shape")] = gd::Variant(shape);
        d[gd::Variant("values")] = gd::Variant(to_packed(tensors[t].data(), tensors[t].size()));
        out.push_back(gd::Variant(d));
    }
    return out;
}

gd::Dictionary LKNetwork::estimate_size(int64_t batch_size) {
    const char* where = "LKNetwork.estimate_size";
    if (!net.validate().empty()) {
        push_error(where, net.validate());
        return gd::Dictionary();
    }
    if (batch_size < 1 || batch_size > (int64_t(1) << 24)) {
        push_error(where, str("batch_size is ", batch_size, ": expected 1 to 16777216"));
        return gd::Dictionary();
    }
    // The arenas a session would lay out: predicting batch_size rows, and training on batches of that size with
    // Adam (two state floats per parameter; most optimizers need at most that).
    LayoutSpec pred, train;
    pred.batch_rows = train.batch_rows = uint32_t(batch_size);
    train.loss_slots = 64;
    train.state_per_param = 2;
    train.grads = true;
    ArenaLayout lp, lt;
    std::string err;
    const bool ok_pred = make_layout(net, pred, &lp, &err), ok_train = make_layout(net, train, &lt, &err);
    const gd::String json = gd::JSON::stringify(gd::Variant(model_to_dict(net, device)), gd::String(""), false, true);
    gd::Dictionary d;
    d[gd::Variant("parameters")] = gd::Variant(int64_t(net.param_count()));
    d[gd::Variant("buffers")] = gd::Variant(int64_t(net.buffer_count()));
    d[gd::Variant("parameter_bytes")] = gd::Variant(int64_t(4 * (net.param_count() + net.buffer_count())));
    d[gd::Variant("file_bytes")] = gd::Variant(int64_t(json.utf8().size()));
    d[gd::Variant("predict_bytes")] = gd::Variant(ok_pred ? int64_t(4 * lp.floats) : int64_t(-1));
    d[gd::Variant("train_bytes")] = gd::Variant(ok_train ? int64_t(4 * lt.floats) : int64_t(-1));
    return d;
}

}  // namespace lk::api
