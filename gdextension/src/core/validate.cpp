#include "core/validate.hpp"

#include <cmath>
#include <sstream>

#include "core/session.hpp"
#include "core/sizes.hpp"

namespace lk {

namespace {
std::string num(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}
std::string position(const std::string& what, size_t i, size_t width) {
    if (width == 0) return what + "[" + std::to_string(i) + "]";
    return what + " row " + std::to_string(i / width) + ", column " + std::to_string(i % width);
}
}  // namespace

std::string check_finite(const std::string& what, const float* values, size_t n, size_t width) {
    for (size_t i = 0; i < n; ++i) {
        if (!std::isfinite(values[i])) {
            return position(what, i, width) + " is " + num(values[i]) + "; every value must be finite";
        }
    }
    return "";
}

std::string check_row_width(const std::string& what, size_t row, size_t got, size_t expected) {
    if (got == expected) return "";
    return what + " row " + std::to_string(row) + " has " + std::to_string(got) + " values, expected " +
           std::to_string(expected);
}

std::string check_matrix(const std::string& what, const float* values, size_t n, size_t rows, size_t width) {
    if (rows == 0) return what + " is empty; expected at least one row";
    const std::string big = check_float_count(what, rows, width);  // rows * width below must not wrap
    if (!big.empty()) return big;
    if (n != rows * width) {
        return what + " has " + std::to_string(n) + " values, expected " + std::to_string(rows) + " rows x " +
               std::to_string(width) + " = " + std::to_string(rows * width);
    }
    if (values == nullptr) return what + " is missing";
    return check_finite(what, values, n, width);
}

// Each loss's target domain is its losses.yaml `targets` kind (LossInfo::targets).
std::string check_targets(Loss loss, const float* T, size_t rows, size_t width) {
    const LossInfo& info = loss_info(loss);
    const std::string name = info.name, kind = info.targets;
    for (size_t r = 0; r < rows; ++r) {
        double sum = 0.0;
        for (size_t c = 0; c < width; ++c) {
            const float t = T[r * width + c];
            const char* need = nullptr;
            if (kind == "probability" && (t < 0.0f || t > 1.0f)) need = " targets must be in [0, 1]";
            if ((kind == "distribution" || kind == "nonnegative") && t < 0.0f) need = " targets must be >= 0";
            if (kind == "sign" && t != 1.0f && t != -1.0f) need = " targets must be -1 or 1";
            if (need) return position("targets", r * width + c, width) + " is " + num(t) + "; " + name + need;
            sum += t;
        }
        if (kind == "distribution" && std::fabs(sum - 1.0) > 1e-3) {
            return "targets row " + std::to_string(r) + " sums to " + num(sum) + "; " + name +
                   " targets must be distributions summing to 1 (one-hot rows for class labels)";
        }
    }
    return "";
}

std::string check_labels(const int64_t* labels, size_t n, uint32_t classes) {
    if (n == 0) return "labels are empty; expected at least one";
    for (size_t i = 0; i < n; ++i) {
        if (labels[i] < 0 || labels[i] >= int64_t(classes)) {
            return "label " + std::to_string(i) + " is " + std::to_string(labels[i]) + ", expected a class in [0, " +
                   std::to_string(classes) + ")";
        }
    }
    return "";
}

void one_hot(const int64_t* labels, size_t n, uint32_t classes, std::vector<float>* out) {
    out->assign(n * classes, 0.0f);
    for (size_t i = 0; i < n; ++i) (*out)[i * classes + size_t(labels[i])] = 1.0f;
}

std::string check_config(const TrainConfig& cfg, bool for_fit) {
    if (int(cfg.loss.kind) >= LOSS_COUNT) return "unknown loss id " + std::to_string(int(cfg.loss.kind));
    const LossInfo& li = loss_info(cfg.loss.kind);
    for (int k = 0; k < li.param_count; ++k) {
        if (!std::isfinite(cfg.loss.params.p[k])) {
            return std::string(li.name) + " setting " + li.param_names[k] + " is " + num(cfg.loss.params.p[k]) +
                   "; expected a finite number";
        }
    }
    if (int(cfg.optimizer) >= OPTIMIZER_COUNT) {
        return "unknown optimizer id " + std::to_string(int(cfg.optimizer));
    }
    if (!(std::isfinite(cfg.learning_rate) && cfg.learning_rate > 0.0f)) {
        return "learning_rate must be a finite number > 0, got " + num(cfg.learning_rate);
    }
    // Every hyperparameter of the optimizer against its spec range, and the spec's checks (optimizer_host.hpp).
    if (std::string e = check_hyperparameters(cfg.optimizer, cfg.hyper); !e.empty()) return e;
    for (const ParamGroup& g : cfg.param_groups) {
        if (!std::isnan(g.learning_rate) && !(std::isfinite(g.learning_rate) && g.learning_rate > 0.0)) {
            return "parameter group \"" + g.match + "\": learning_rate must be > 0, got " + num(float(g.learning_rate));
        }
        if (!(std::isfinite(g.lr_scale) && g.lr_scale > 0.0)) {
            return "parameter group \"" + g.match + "\": lr_scale must be > 0, got " + num(float(g.lr_scale));
        }
        if (!std::isnan(g.weight_decay) && !(std::isfinite(g.weight_decay) && g.weight_decay >= 0.0)) {
            return "parameter group \"" + g.match + "\": weight_decay must be >= 0, got " + num(float(g.weight_decay));
        }
    }
    if (!(std::isfinite(cfg.clip_norm) && cfg.clip_norm >= 0.0f)) {
        return "clip_norm must be >= 0 (0 = off), got " + num(cfg.clip_norm);
    }
    if (!for_fit) return "";
    if (cfg.epochs < 1) return "epochs must be >= 1, got " + std::to_string(cfg.epochs);
    if (cfg.batch_size < 1) return "batch_size must be >= 1, got " + std::to_string(cfg.batch_size);
    if (cfg.min_steps_per_submit < 1) {
        return "min_steps_per_submit must be >= 1, got " + std::to_string(cfg.min_steps_per_submit);
    }
    return validate_schedule(cfg.schedule, cfg.learning_rate);
}

}  // namespace lk
