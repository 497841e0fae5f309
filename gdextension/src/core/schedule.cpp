#include "core/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace lk {

namespace {

constexpr double kPi = 3.14159265358979323846;
const char* const KIND_NAMES[] = {"constant", "cosine", "step", "multi_step", "exponential", "linear",
                                  "cosine_restarts", "one_cycle", "polynomial", "plateau", "sequence"};
constexpr int KIND_COUNT = int(sizeof(KIND_NAMES) / sizeof(KIND_NAMES[0]));

int64_t length_or(int period, int64_t horizon) { return period > 0 ? period : horizon; }

// How many of the sorted milestones are <= k (Python's bisect_right).
int64_t passed(const std::vector<int>& milestones, int64_t k) {
    return std::upper_bound(milestones.begin(), milestones.end(), k) - milestones.begin();
}

double cosine_between(double from, double to, double pct) { return to + (from - to) / 2.0 * (std::cos(kPi * pct) + 1.0); }

double one_cycle(const Schedule& s, double max_lr, int64_t k, int64_t horizon) {
    const double total = double(length_or(s.period, horizon));
    const double initial = max_lr / s.div_factor, min_lr = initial / s.final_div_factor;
    struct Phase { double end, from, to; };
    Phase phases[3];
    int n = 0;
    if (s.three_phase) {
        phases[n++] = {s.pct_start * total - 1.0, initial, max_lr};
        phases[n++] = {2.0 * s.pct_start * total - 2.0, max_lr, initial};
        phases[n++] = {total - 1.0, initial, min_lr};
    } else {
        phases[n++] = {s.pct_start * total - 1.0, initial, max_lr};
        phases[n++] = {total - 1.0, max_lr, min_lr};
    }
    const double step = double(std::min<int64_t>(k, int64_t(total) - 1));  // torch raises past the end
    double start = 0.0;
    for (int i = 0; i < n; ++i) {
        if (step <= phases[i].end || i == n - 1) {
            const double pct = (step - start) / (phases[i].end - start);
            return s.anneal_cos ? cosine_between(phases[i].from, phases[i].to, pct)
                                : (phases[i].to - phases[i].from) * pct + phases[i].from;
        }
        start = phases[i].end;
    }
    return max_lr;
}

std::string fail_num(const std::string& what, double v, const std::string& expected) {
    return what + " is " + std::to_string(v) + ": expected " + expected;
}

}  // namespace

const char* schedule_kind_name(Schedule::Kind kind) {
    const int i = int(kind);
    return i < KIND_COUNT ? KIND_NAMES[i] : "?";
}

bool schedule_kind_from_name(const std::string& name, Schedule::Kind* out) {
    for (int i = 0; i < KIND_COUNT; ++i) {
        if (name == KIND_NAMES[i]) {
            *out = Schedule::Kind(i);
            return true;
        }
    }
    return false;
}

double learning_rate_at(const Schedule& s, double base, int64_t k, int64_t horizon, const ScheduleState* state) {
    k = std::max<int64_t>(k, 0);
    switch (s.kind) {
        case Schedule::Kind::CONSTANT: {
            const int64_t total = s.period > 0 ? s.period : 0;
            return k < total ? base * s.start_factor : base;
        }
        case Schedule::Kind::COSINE: {
            const int64_t period = length_or(s.period, horizon);
            if (period <= 0 || k >= period) return s.lr_min;
            return s.lr_min + 0.5 * (base - s.lr_min) * (1.0 + std::cos(kPi * double(k) / double(period)));
        }
        case Schedule::Kind::STEP:
            return base * std::pow(s.gamma, double(k / std::max<int64_t>(1, length_or(s.period, horizon))));
        case Schedule::Kind::MULTI_STEP:
            return base * std::pow(s.gamma, double(passed(s.milestones, k)));
        case Schedule::Kind::EXPONENTIAL:
            return base * std::pow(s.gamma, double(k));
        case Schedule::Kind::LINEAR: {
            const int64_t total = std::max<int64_t>(1, length_or(s.period, horizon));
            return base * (s.start_factor + (s.end_factor - s.start_factor) * double(std::min(k, total)) / double(total));
        }
        case Schedule::Kind::COSINE_RESTARTS: {
            // torch's own step(): T_cur += 1, and past T_i a restart with T_i *= T_mult (integers: exact).
            int64_t t_i = std::max<int64_t>(1, length_or(s.period, horizon)), t_cur = k;
            while (t_cur >= t_i) {
                t_cur -= t_i;
                t_i *= std::max(1, s.mult);
            }
            return s.lr_min + (base - s.lr_min) * (1.0 + std::cos(kPi * double(t_cur) / double(t_i))) / 2.0;
        }
        case Schedule::Kind::ONE_CYCLE:
            return one_cycle(s, base, k, horizon);
        case Schedule::Kind::POLYNOMIAL: {
            const int64_t total = std::max<int64_t>(1, length_or(s.period, horizon));
            return base * std::pow(1.0 - double(std::min(k, total)) / double(total), s.power);
        }
        case Schedule::Kind::PLATEAU: {
            // torch: new = max(lr * factor, min_lr), applied only when it lowers lr by more than eps = 1e-8.
            double lr = base;
            for (int i = 0, n = state ? state->reductions : 0; i < n; ++i) {
                const double next = std::max(lr * s.gamma, double(s.lr_min));
                if (lr - next <= 1e-8) break;
                lr = next;
            }
            return lr;
        }
        case Schedule::Kind::SEQUENCE: {
            if (s.children.empty()) return base;
            const size_t i = std::min<size_t>(size_t(passed(s.milestones, k)), s.children.size() - 1);
            const int64_t start = i > 0 ? s.milestones[i - 1] : 0;
            const int64_t end = i < s.milestones.size() ? s.milestones[i] : horizon;
            return learning_rate_at(s.children[i], base, k - start, std::max<int64_t>(1, end - start), state);
        }
    }
    return base;
}

void schedule_observe(const Schedule& s, ScheduleState* st, double metric) {
    if (s.kind != Schedule::Kind::PLATEAU || !st) return;
    // torch ReduceLROnPlateau.is_better: an improvement beats best by the threshold (relative or absolute), in
    // the mode's direction. torch starts from best = +-inf, so the first finite value improves and a NaN never
    // does (it counts as a bad epoch).
    bool better = false;
    if (!std::isnan(metric)) {
        if (!st->has_best) {
            better = true;
        } else if (s.maximize) {
            better = metric > (s.threshold_rel ? st->best * (1.0 + s.threshold) : st->best + s.threshold);
        } else {
            better = metric < (s.threshold_rel ? st->best * (1.0 - s.threshold) : st->best - s.threshold);
        }
    }
    if (better) {
        st->best = metric;
        st->has_best = true;
        st->bad = 0;
    } else {
        ++st->bad;
    }
    if (st->cooldown_left > 0) {
        --st->cooldown_left;
        st->bad = 0;
    }
    if (st->bad > s.patience) {
        ++st->reductions;
        st->cooldown_left = s.cooldown;
        st->bad = 0;
    }
}

bool schedule_needs_loss(const Schedule& s) {
    if (s.kind == Schedule::Kind::PLATEAU) return true;
    for (const Schedule& c : s.children) {
        if (schedule_needs_loss(c)) return true;
    }
    return false;
}

std::string validate_schedule(const Schedule& s, float lr_max) {
    if (!(std::isfinite(lr_max) && lr_max > 0.0f)) {
        return "the learning rate must be a finite number > 0, got " + std::to_string(lr_max);
    }
    if (int(s.kind) >= KIND_COUNT) return "unknown schedule kind " + std::to_string(static_cast<int>(s.kind));
    const std::string name = schedule_kind_name(s.kind);
    if (s.period < 0) return name + " schedule period is " + std::to_string(s.period) + ": expected >= 0";
    if (s.kind == Schedule::Kind::COSINE && (!std::isfinite(s.lr_min) || s.lr_min < 0.0f || s.lr_min > lr_max)) {
        return "cosine schedule lr_min must be in [0, learning_rate = " + std::to_string(lr_max) + "], got " +
               std::to_string(s.lr_min);
    }
    if (!std::isfinite(s.lr_min) || s.lr_min < 0.0f) return fail_num(name + " lr_min", s.lr_min, ">= 0");
    switch (s.kind) {
        case Schedule::Kind::STEP:
        case Schedule::Kind::MULTI_STEP:
        case Schedule::Kind::EXPONENTIAL:
            if (!(s.gamma > 0.0 && std::isfinite(s.gamma))) return fail_num(name + " gamma", s.gamma, "> 0");
            break;
        case Schedule::Kind::PLATEAU:
            if (!(s.gamma > 0.0 && s.gamma < 1.0)) return fail_num("plateau factor", s.gamma, "in (0, 1)");
            if (s.patience < 0 || s.cooldown < 0) return "plateau patience and cooldown must be >= 0";
            if (!(s.threshold >= 0.0 && std::isfinite(s.threshold))) {
                return fail_num("plateau threshold", s.threshold, ">= 0");
            }
            break;
        case Schedule::Kind::CONSTANT:
            if (!(s.start_factor >= 0.0 && s.start_factor <= 1.0)) {
                return fail_num("constant schedule factor", s.start_factor, "in [0, 1]");
            }
            break;
        case Schedule::Kind::LINEAR:
            if (!(s.start_factor > 0.0 && s.start_factor <= 1.0)) {
                return fail_num("linear schedule start_factor", s.start_factor, "in (0, 1]");
            }
            if (!(s.end_factor >= 0.0 && s.end_factor <= 1.0)) {
                return fail_num("linear schedule end_factor", s.end_factor, "in [0, 1]");
            }
            break;
        case Schedule::Kind::COSINE_RESTARTS:
            if (s.mult < 1) return "cosine_restarts mult is " + std::to_string(s.mult) + ": expected an integer >= 1";
            break;
        case Schedule::Kind::ONE_CYCLE:
            if (!(s.pct_start > 0.0 && s.pct_start < 1.0)) return fail_num("one_cycle pct_start", s.pct_start, "in (0, 1)");
            if (!(s.div_factor > 0.0 && std::isfinite(s.div_factor))) return fail_num("one_cycle div_factor", s.div_factor, "> 0");
            if (!(s.final_div_factor > 0.0 && std::isfinite(s.final_div_factor))) {
                return fail_num("one_cycle final_div_factor", s.final_div_factor, "> 0");
            }
            break;
        case Schedule::Kind::POLYNOMIAL:
            if (!(s.power >= 0.0 && std::isfinite(s.power))) return fail_num("polynomial power", s.power, ">= 0");
            break;
        case Schedule::Kind::SEQUENCE:
            if (s.children.empty()) return "a sequence schedule needs at least one schedule";
            if (s.milestones.size() + 1 != s.children.size()) {
                return "a sequence of " + std::to_string(s.children.size()) + " schedules needs " +
                       std::to_string(s.children.size() - 1) + " milestones, got " + std::to_string(s.milestones.size());
            }
            for (const Schedule& c : s.children) {
                if (c.kind == Schedule::Kind::PLATEAU || c.kind == Schedule::Kind::SEQUENCE) {
                    return std::string("a sequence cannot hold a ") + schedule_kind_name(c.kind) + " schedule";
                }
                std::string e = validate_schedule(c, lr_max);
                if (!e.empty()) return e;
            }
            break;
        default:
            break;
    }
    for (size_t i = 0; i < s.milestones.size(); ++i) {
        if (s.milestones[i] < (i ? s.milestones[i - 1] + (s.kind == Schedule::Kind::SEQUENCE ? 1 : 0) : 0)) {
            return name + " milestones must be increasing and >= 0";
        }
    }
    return "";
}

}  // namespace lk
