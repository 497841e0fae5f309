// LKDense, LKLayer and LKNetwork: the GDScript face of core/model.hpp.
#pragma once
#include <cmath>
#include <mutex>

#include "api/scaler.hpp"
#include "core/model.hpp"
#include "core/session.hpp"
#include "godot/extension_object.hpp"

namespace lk::api {

// A dense layer description for sequential(): a dense op, followed by an activation op unless "identity".
class LKDense : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LKDense";
    int64_t inputs = 0, outputs = 0;
    Activation act = Activation::IDENTITY;
    double alpha_value = NAN;  // NAN: the activation's default
    std::string custom;        // a custom activation's name (core/custom_activation.hpp); act is then IDENTITY
    bool own_init = false;     // LearnKit.dense()'s init: this layer's initializer, whatever the network's
    InitSpec init;

    int64_t get_inputs() const { return inputs; }
    int64_t get_outputs() const { return outputs; }
    gd::String get_activation() const;
    double get_alpha() const { return alpha_value; }
};

// Any other layer description for sequential(): one op of a registered type with its settings, or a
// "residual" block (its layers, then the block's input added to their output).
class LKLayer : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LKLayer";
    std::string type;
    Attrs settings;
    gd::Array layers;  // residual only

    gd::String get_type() const { return gd::String(type); }
    gd::Dictionary get_settings() const;
    gd::Array get_layers() const { return layers; }
};

class LKNetwork : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LKNetwork";
    Model net;
    std::string device = "auto";

    // The whole state, as resource files store it (api/model_file.hpp).
    gd::Dictionary get_model() const;
    // The model Dictionary with optional keys (scalers); raw_tensors: PackedFloat32Array tensors, not base64.
    gd::Dictionary model_doc(bool raw_tensors) const;
    void set_model(const gd::Dictionary& value);
    gd::String get_device() const { return gd::String(device); }
    void set_device(const gd::String& value);
    // Kept with the model (saved inside `model` under "input_scaler" / "output_scaler"), never applied by
    // predict() or fit(): scaling is the caller's explicit step (api/scaler.hpp).
    ExtRef<LKScaler> input_scaler, output_scaler;
    ExtRef<LKScaler> get_input_scaler() const { return input_scaler; }
    void set_input_scaler(const ExtRef<LKScaler>& value) { input_scaler = value; }
    ExtRef<LKScaler> get_output_scaler() const { return output_scaler; }
    void set_output_scaler(const ExtRef<LKScaler>& value) { output_scaler = value; }
    // The whole model Dictionary into this network (set_model() and serialize.import); false and *err with
    // nothing changed when it is invalid.
    bool load_model(const gd::Dictionary& doc, std::string* err);
    int64_t get_layer_count() const;
    int64_t get_input_size() const { return net.input_width(); }
    int64_t get_output_size() const { return net.output_width(); }
    gd::Array get_layers() const;
    gd::Array get_ops() const;
    gd::Array get_parameters() const;
    int64_t set_parameters(const gd::Array& parameters);
    int64_t add_op(const gd::String& type, const gd::Dictionary& settings, const gd::Array& inputs,
                   const gd::String& name);
    int64_t initialize(const gd::Variant& init, int64_t seed);
    gd::Array predict(const gd::Array& inputs);
    gd::PackedFloat32Array predict_flat(const gd::PackedFloat32Array& data, int64_t rows);
    gd::Array forward_trace(const gd::PackedFloat32Array& input);
    gd::Dictionary estimate_size(int64_t batch_size);

    // Shared by predict(), predict_flat() and the evaluate helpers; false after reporting an error.
    bool run_forward(const std::vector<float>& X, size_t rows, std::vector<float>* Y, const char* where,
                     std::vector<std::vector<float>>* tensors = nullptr);

private:
    // Forward passes only (holds the device-side parameter cache). Predictions on one network from several
    // threads take turns on this lock; they never share memory with a training session.
    Session runner_;
    std::mutex runner_mutex_;
};

// Settings <-> Godot Dictionary (numbers and strings only; anything else is an error naming the key).
bool attrs_from_dict(const gd::Dictionary& d, Attrs* out, std::string* err);
gd::Dictionary attrs_to_dict(const Attrs& attrs);

}  // namespace lk::api
