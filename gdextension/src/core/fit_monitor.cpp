#include "core/fit_monitor.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

namespace lk {

double EpochLog::get(const std::string& name) const {
    for (const auto& [k, v] : values) {
        if (k == name) return v;
    }
    return NAN;
}

EpochLog epoch_log(int epoch, float loss, const FitWatch& watch, const float* val_losses, uint32_t eval_rows,
                   const std::vector<float>& val_y, const std::vector<float>& train_y, const float* train_t,
                   uint32_t n, uint32_t out_width) {
    EpochLog log;
    log.epoch = epoch;
    log.values.emplace_back("loss", double(loss));
    const size_t nv = watch.val_rows;
    if (nv > 0) {
        double sum = 0.0;
        for (size_t r0 = 0, b = 0; r0 < nv; r0 += eval_rows, ++b) {
            sum += double(val_losses[b]) * double(std::min<size_t>(eval_rows, nv - r0));
        }
        log.values.emplace_back("val_loss", sum / double(nv));
    }
    for (metrics::Metric m : watch.metrics) {
        const std::string name = metrics::metric_name(m);
        log.values.emplace_back(name, metrics::compute(m, train_y.data(), train_t, n, out_width, watch.top_k));
        if (nv > 0) {
            log.values.emplace_back("val_" + name,
                                    metrics::compute(m, val_y.data(), watch.val_t, nv, out_width, watch.top_k));
        }
    }
    return log;
}

std::vector<std::string> watch_names(const FitWatch& watch) {
    std::vector<std::string> out{"loss"};
    if (watch.val_rows > 0) out.push_back("val_loss");
    for (metrics::Metric m : watch.metrics) {
        out.push_back(metrics::metric_name(m));
        if (watch.val_rows > 0) out.push_back(std::string("val_") + metrics::metric_name(m));
    }
    return out;
}

namespace {

// "" when `monitor` is one of the values the watch logs, else what is missing (validation, the metrics option).
std::string check_monitor(const std::string& who, const std::string& monitor, const FitWatch& watch) {
    std::string names;
    for (const std::string& n : watch_names(watch)) {
        if (n == monitor) return "";
        names += (names.empty() ? "" : ", ") + n;
    }
    return who + " \"" + monitor + "\" is not computed by this fit: expected one of " + names +
           (watch.val_rows ? "" : " (val_ names need validation_split or validation_data)") +
           (watch.metrics.empty() ? " (metric names need the \"metrics\" option)" : "");
}

}  // namespace

std::string check_watch(const FitWatch& watch, const Model& net) {
    if (watch.val_rows > 0 && (!watch.val_x || !watch.val_t)) return "validation rows without their data";
    for (metrics::Metric m : watch.metrics) {
        if (m == metrics::Metric::TOP_K_ACCURACY && net.output_width() < 2) {
            return "metric top_k_accuracy needs class scores: the network has 1 output (expected 2 or more)";
        }
    }
    if (watch.top_k < 1) return "top_k is " + std::to_string(watch.top_k) + ": expected at least 1";
    const EarlyStopping& e = watch.early;
    if (!e.enabled) return "";
    if (!(e.min_delta >= 0.0) || !std::isfinite(e.min_delta)) {
        return "early_stopping min_delta is " + std::to_string(e.min_delta) + ": expected a finite number >= 0";
    }
    if (e.patience < 0) return "early_stopping patience is " + std::to_string(e.patience) + ": expected >= 0";
    return check_monitor("early_stopping monitor", e.monitor, watch);
}

std::string check_schedule_watch(const Schedule& schedule, const FitWatch& watch) {
    if (schedule.kind != Schedule::Kind::PLATEAU || schedule.monitor == "loss") return "";
    return check_monitor("the plateau schedule's monitor", schedule.monitor, watch);
}

bool EarlyStopper::observe(const EpochLog& log, const Model& net) {
    const double current = log.get(cfg_.monitor);
    if (std::isnan(current)) return false;  // a NaN never improves, nor counts as a value (Keras skips None)
    ++wait_;
    const bool improved = best_epoch_ < 0 ||
                          (cfg_.maximize ? current - cfg_.min_delta > best_ : current + cfg_.min_delta < best_);
    if (improved) {
        best_ = current;
        best_epoch_ = log.epoch;
        wait_ = 0;
        if (cfg_.restore_best_weights) {
            std::lock_guard<std::mutex> lock(net.param_mutex());
            params_ = net.params();
            buffers_ = net.buffers();
        }
        return false;
    }
    return wait_ >= cfg_.patience;
}

bool EarlyStopper::restore(Model& net) const {
    if (!cfg_.restore_best_weights || best_epoch_ < 0 || params_.size() != net.param_count() ||
        buffers_.size() != net.buffer_count()) {
        return false;
    }
    std::lock_guard<std::mutex> lock(net.param_mutex());
    if (!params_.empty()) std::memcpy(net.mutable_params(), params_.data(), params_.size() * sizeof(float));
    if (!buffers_.empty()) std::memcpy(net.mutable_buffers(), buffers_.data(), buffers_.size() * sizeof(float));
    return true;
}

}  // namespace lk
