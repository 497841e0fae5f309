// LearnKit.evaluate: metrics with scikit-learn's definitions (core/metrics.hpp) on predictions and targets in
// the trainer's row formats, plus the seed API's network-based accuracy and mse.
#pragma once
#include "api/network_api.hpp"

namespace lk::api {

class LearnKitEvaluate : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LearnKitEvaluate";
    double evaluate_model_soft_max(const ExtRef<LKNetwork>& network, const gd::Array& inputs, const gd::Array& targets);
    double mse(const ExtRef<LKNetwork>& network, const gd::Array& inputs, const gd::Array& targets);

    double accuracy(const gd::Array& predictions, const gd::Array& targets);
    double top_k_accuracy(const gd::Array& predictions, const gd::Array& targets, int64_t k);
    gd::Array confusion_matrix(const gd::Array& predictions, const gd::Array& targets, int64_t classes);
    gd::Dictionary classification_report(const gd::Array& predictions, const gd::Array& targets, int64_t classes,
                                         double zero_division);
    gd::Dictionary regression_report(const gd::Array& predictions, const gd::Array& targets);
    gd::Dictionary metrics(const gd::Array& predictions, const gd::Array& targets, const gd::Array& names, int64_t k);
};

}  // namespace lk::api
