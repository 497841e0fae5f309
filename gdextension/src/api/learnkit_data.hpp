// LearnKit.data, LearnKit.evaluate, LearnKit.serialize and the LKSplit they return.
#pragma once
#include "api/network_api.hpp"

namespace lk::api {

class LKSplit : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LKSplit";
    gd::Array train_inputs, train_targets, test_inputs, test_targets;
    gd::Array get_train_inputs() const { return train_inputs; }
    gd::Array get_train_targets() const { return train_targets; }
    gd::Array get_test_inputs() const { return test_inputs; }
    gd::Array get_test_targets() const { return test_targets; }
};

class LearnKitData : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LearnKitData";
    ExtRef<LKSplit> train_test_split(const gd::Array& inputs, const gd::Array& targets, double test_ratio, int64_t seed);
    gd::Array one_hot(const gd::Array& labels, int64_t classes);
};

class LearnKitEvaluate : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LearnKitEvaluate";
    double evaluate_model_soft_max(const ExtRef<LKNetwork>& network, const gd::Array& inputs, const gd::Array& targets);
    double mse(const ExtRef<LKNetwork>& network, const gd::Array& inputs, const gd::Array& targets);
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
