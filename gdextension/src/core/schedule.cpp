#include "core/schedule.hpp"

#include <cmath>

namespace lk {

float learning_rate_at(const Schedule& schedule, float lr_max, int epoch, int epochs) {
    switch (schedule.kind) {
        case Schedule::Kind::CONSTANT:
            return lr_max;
        case Schedule::Kind::COSINE: {
            const int period = schedule.period > 0 ? schedule.period : epochs;
            if (period <= 0 || epoch >= period) return schedule.lr_min;
            const double pi = 3.14159265358979323846;
            return static_cast<float>(schedule.lr_min + 0.5 * (double(lr_max) - schedule.lr_min) *
                                                            (1.0 + std::cos(pi * epoch / period)));
        }
    }
    return lr_max;
}

std::string validate_schedule(const Schedule& schedule, float lr_max) {
    if (!(std::isfinite(lr_max) && lr_max > 0.0f)) {
        return "the learning rate must be a finite number > 0, got " + std::to_string(lr_max);
    }
    if (schedule.kind == Schedule::Kind::CONSTANT) return "";
    if (schedule.kind != Schedule::Kind::COSINE) {
        return "unknown schedule kind " + std::to_string(static_cast<int>(schedule.kind));
    }
    if (!std::isfinite(schedule.lr_min) || schedule.lr_min < 0.0f || schedule.lr_min > lr_max) {
        return "cosine schedule lr_min must be in [0, learning_rate = " + std::to_string(lr_max) + "], got " +
               std::to_string(schedule.lr_min);
    }
    if (schedule.period < 0) return "cosine schedule period must be >= 0 (0 = all epochs), got " +
                                    std::to_string(schedule.period);
    return "";
}

}  // namespace lk
