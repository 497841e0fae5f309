// Learning-rate schedules with torch.optim.lr_scheduler semantics, evaluated on the host: once per epoch or once
// per optimizer step (Schedule::per_step), as the user chooses. The value travels to the kernels in each step's
// push constants, so a schedule costs nothing on the device. A new schedule is one Kind, its settings below and
// one case in learning_rate_at() (plus its validation and its factory in api/factories.cpp).
//
// `k` is the scheduler's step count (torch's last_epoch): the 0-based epoch, or the 0-based optimizer step of
// the fit when per_step. Every schedule is a closed form of (base learning rate, k), except reduce-on-plateau,
// which also reads its ScheduleState (fed the monitored value after each epoch). Schedules restart with each fit()
// (LKTrainer.train_for() calls that resume one fit carry the state over).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace lk {

struct Schedule {
    enum class Kind : uint8_t {
        CONSTANT,         // torch ConstantLR: base * factor while k < total_iters, then base (factor 1: constant)
        COSINE,           // CosineAnnealingLR: eta_min + (base - eta_min) * (1 + cos(pi k / T_max)) / 2, held at
                          // lr_min from k = period on (torch's recursion would climb back: use COSINE_RESTARTS)
        STEP,             // StepLR: base * gamma^(k / step_size)
        MULTI_STEP,       // MultiStepLR: base * gamma^(milestones passed)
        EXPONENTIAL,      // ExponentialLR: base * gamma^k
        LINEAR,           // LinearLR (warm-up): base * (start + (end - start) * min(k, total_iters) / total_iters)
        COSINE_RESTARTS,  // CosineAnnealingWarmRestarts(T_0 = period, T_mult = mult, eta_min = lr_min)
        ONE_CYCLE,        // OneCycleLR(max_lr = base, total_steps = period, pct_start, div_factor, final_div_factor,
                          // three_phase, cos or linear annealing); momentum is not cycled
        POLYNOMIAL,       // PolynomialLR: base * (1 - min(k, total_iters) / total_iters)^power
        PLATEAU,          // ReduceLROnPlateau(mode min/max, factor = gamma, patience, threshold, rel/abs,
                          // cooldown, min_lr = lr_min) on the epoch log's `monitor` (the training loss by default)
        SEQUENCE,         // SequentialLR: children[i] from milestones[i - 1] on, each counting from 0 there
    };
    Kind kind = Kind::CONSTANT;
    bool per_step = false;       // k counts optimizer steps instead of epochs
    float lr_min = 0.0f;         // COSINE / COSINE_RESTARTS eta_min; PLATEAU min_lr
    int period = 0;              // COSINE T_max, COSINE_RESTARTS T_0, STEP step_size, CONSTANT / LINEAR /
                                 // POLYNOMIAL total_iters, ONE_CYCLE total_steps; 0 = the fit's epochs (or steps)
    double gamma = 0.1;          // STEP, MULTI_STEP, EXPONENTIAL decay; PLATEAU factor
    int mult = 1;                // COSINE_RESTARTS T_mult
    double start_factor = 1.0 / 3.0;  // LINEAR; CONSTANT's factor
    double end_factor = 1.0;     // LINEAR
    double power = 1.0;          // POLYNOMIAL
    std::vector<int> milestones; // MULTI_STEP (sorted); SEQUENCE (children.size() - 1 of them, increasing)
    double pct_start = 0.3, div_factor = 25.0, final_div_factor = 1e4;  // ONE_CYCLE
    bool three_phase = false, anneal_cos = true;                        // ONE_CYCLE
    int patience = 10, cooldown = 0;                                    // PLATEAU
    double threshold = 1e-4;                                            // PLATEAU
    bool threshold_rel = true;                                          // PLATEAU: rel (true) or abs
    // PLATEAU: the value of the epoch's log it watches (core/fit_monitor.hpp EpochLog names): "loss" (the
    // training loss), "val_loss", a metric or "val_<metric>"; all but "loss" need the fit to compute it.
    std::string monitor = "loss";
    bool maximize = false;                                              // PLATEAU mode "max"
    std::vector<Schedule> children;                                     // SEQUENCE
};

// Reduce-on-plateau's memory (torch's best, num_bad_epochs, cooldown_counter, and how often it reduced). It lives
// for one fit, or across LKTrainer.train_for() calls that resume one (FitHooks::schedule_state).
struct ScheduleState {
    double best = 0.0;
    bool has_best = false;
    int bad = 0, cooldown_left = 0, reductions = 0;
};

const char* schedule_kind_name(Schedule::Kind kind);
bool schedule_kind_from_name(const std::string& name, Schedule::Kind* out);

// The learning rate at scheduler step k for base learning rate `base`; `horizon` = epochs (or steps when
// per_step) of the fit, used where a length is 0. `state` only for PLATEAU (nullptr: no reduction yet).
double learning_rate_at(const Schedule& schedule, double base, int64_t k, int64_t horizon,
                        const ScheduleState* state = nullptr);
// Feeds the monitored loss of an epoch to PLATEAU (other kinds ignore it).
void schedule_observe(const Schedule& schedule, ScheduleState* state, double metric);
// Whether the schedule reads losses (its learning rate then depends on the previous epoch's readback).
bool schedule_needs_loss(const Schedule& schedule);

// "" when valid, else what is wrong and what was expected. lr_max: the base learning rate.
std::string validate_schedule(const Schedule& schedule, float lr_max);

}  // namespace lk
