// LKDense and LKNetwork: the GDScript face of core/network.hpp.
#pragma once
#include "core/network.hpp"
#include "core/trainer.hpp"
#include "godot/extension_object.hpp"

namespace lk::api {

class LKDense : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LKDense";
    int64_t inputs = 0, outputs = 0;
    Activation act = Activation::IDENTITY;
    double alpha_value = 0.01;

    int64_t get_inputs() const { return inputs; }
    int64_t get_outputs() const { return outputs; }
    gd::String get_activation() const;
    double get_alpha() const { return alpha_value; }
};

class LKNetwork : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LKNetwork";
    Network net;
    std::string device = "auto";

    // The whole state, as resource files store it (api/model_dict.hpp).
    gd::Dictionary get_model() const;
    void set_model(const gd::Dictionary& value);
    gd::String get_device() const { return gd::String(device); }
    void set_device(const gd::String& value);
    int64_t get_layer_count() const { return int64_t(net.layer_count()); }
    int64_t get_input_size() const { return net.input_width(); }
    int64_t get_output_size() const { return net.output_width(); }
    gd::Array get_layers() const;
    gd::Array get_parameters() const;
    int64_t set_parameters(const gd::Array& parameters);
    gd::Array predict(const gd::Array& inputs);
    gd::PackedFloat32Array predict_flat(const gd::PackedFloat32Array& data, int64_t rows);

    // Shared by predict(), predict_flat() and the evaluate helpers; false after reporting an error.
    bool run_forward(const std::vector<float>& X, size_t rows, std::vector<float>* Y, const char* where);

private:
    Trainer runner_;  // forward passes only (holds the device-side parameter cache)
};

}  // namespace lk::api
