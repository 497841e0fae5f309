// LearnKit.data, LearnKit.serialize and the LKSplit they return (LearnKit.evaluate: api/learnkit_evaluate.hpp).
#pragma once
#include "api/network_api.hpp"
#include "api/scaler.hpp"

namespace lk::api {

class LKSplit : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LKSplit";
    gd::Array train_inputs, train_targets, test_inputs, test_targets, validation_inputs, validation_targets;
    gd::PackedInt32Array train_indices, validation_indices, test_indices;  // split() only
    gd::Array get_train_inputs() const { return train_inputs; }
    gd::Array get_train_targets() const { return train_targets; }
    gd::Array get_test_inputs() const { return test_inputs; }
    gd::Array get_test_targets() const { return test_targets; }
    gd::Array get_validation_inputs() const { return validation_inputs; }
    gd::Array get_validation_targets() const { return validation_targets; }
    gd::PackedInt32Array get_train_indices() const { return train_indices; }
    gd::PackedInt32Array get_validation_indices() const { return validation_indices; }
    gd::PackedInt32Array get_test_indices() const { return test_indices; }
};

class LearnKitData : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LearnKitData";
    ExtRef<LKSplit> train_test_split(const gd::Array& inputs, const gd::Array& targets, double test_ratio, int64_t seed);
    gd::Array one_hot(const gd::Array& labels, int64_t classes);
    // api/data_split.cpp
    ExtRef<LKSplit> split(const gd::Array& inputs, const gd::Array& targets, const gd::Dictionary& options);
    // api/scaler.cpp
    ExtRef<LKScaler> standard_scaler();
    ExtRef<LKScaler> min_max_scaler(double feature_min, double feature_max);
    // api/csv_loader.cpp
    gd::Dictionary load_csv(const gd::String& path, const gd::Dictionary& options);
    // api/image_folder.cpp
    gd::Dictionary load_image_folder(const gd::String& path, const gd::Dictionary& options);
};

class LearnKitSerialize : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LearnKitSerialize";
    int64_t export_network(const ExtRef<LKNetwork>& network, const gd::String& path);
    ExtRef<LKNetwork> import_network(const gd::String& path);
    int64_t save(const ExtRef<LKNetwork>& network, const gd::String& path);
    ExtRef<LKNetwork> load(const gd::String& path);
    gd::PackedByteArray to_bytes(const ExtRef<LKNetwork>& network);
    ExtRef<LKNetwork> from_bytes(const gd::PackedByteArray& bytes);
};

}  // namespace lk::api
