#include "core/session.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/cpu_backend.hpp"
#include "core/rng.hpp"
#include "core/validate.hpp"

namespace lk {

namespace {

using Clock = std::chrono::steady_clock;

// Predict keeps its activations under this many floats (32 MB) by splitting the rows into chunks.
constexpr uint64_t kPredictBudgetFloats = 8u << 20;

bool fail(std::string* err, const std::string& message) {
    if (err) *err = message;
    return false;
}

// Everything a training-type call checks before touching the backend: the network, X and T.
std::string check_batch(const Model& net, const float* X, const float* T, size_t rows, const LossSetup& loss) {
    std::string e = net.validate();
    if (e.empty()) e = check_matrix("X", X, X ? rows * net.input_width() : 0, rows, net.input_width());
    if (e.empty()) e = check_matrix("targets", T, T ? rows * net.output_width() : 0, rows, net.output_width());
    if (e.empty()) e = check_targets(loss.kind, T, rows, net.output_width());
    if (e.empty() && rows > UINT32_MAX / 2) e = "too many rows: " + std::to_string(rows);
    if (e.empty() && net.param_count() == 0) e = "the model has no trainable parameters";
    return e;
}

// Epoch `epoch`'s row order. Each epoch draws from its own stream, so the sequence for a seed does not depend
// on how epochs are grouped into submits.
void fill_permutation(uint32_t* out, uint32_t rows, bool shuffle, uint64_t seed, int epoch) {
    std::iota(out, out + rows, 0u);
    if (!shuffle) return;
    Rng rng(Rng::mix(seed, uint64_t(epoch)));
    for (uint32_t i = rows - 1; i > 0; --i) std::swap(out[i], out[rng.below(uint64_t(i) + 1)]);  // Fisher-Yates
}

}  // namespace

namespace {
GpuBackendFactory g_gpu_factory = nullptr;
}

void set_gpu_backend_factory(GpuBackendFactory factory) { g_gpu_factory = factory; }

Session::Session() = default;
Session::~Session() = default;

Backend* Session::backend(bool gpu, std::string* err) {
    std::unique_ptr<Backend>& b = gpu ? gpu_ : cpu_;
    if (b) return b.get();
    if (!gpu) {
        b = std::make_unique<CpuBackend>();
    } else if (g_gpu_factory) {
        b = g_gpu_factory(err);
    } else if (err) {
        *err = "no GPU backend in this build";
    }
    return b.get();
}

void Session::release_backends() {
    gpu_.reset();
    cpu_.reset();
    dev_.valid = false;
}

TrainConfig TrainConfig::for_optimizer(Optimizer optimizer) {
    TrainConfig cfg;
    cfg.optimizer = optimizer;
    cfg.hyper = optimizer_info(optimizer).defaults;
    cfg.learning_rate = cfg.hyper.lr;
    return cfg;
}

// ---- optimizer state ---------------------------------------------------------------------------------------

void Session::reset_optimizer() {
    has_state_ = false;
    state_.clear();
    state_count_ = 0;
    t_ = 0;
    dev_.state_count = 0;
}

void Session::sync_optimizer(const Model& net, Optimizer optimizer, const OptimizerHyper& hyper) {
    const uint32_t count = optimizer_state_count(optimizer, hyper);
    if (has_state_ && state_shape_ == net.shape_hash() && state_kind_ == optimizer && state_count_ == count) return;
    // Like creating a new torch optimizer: moments from another layout or rule would be meaningless (so is a
    // state that appears or goes, e.g. turning AMSGrad or momentum on).
    const size_t P = net.param_count();
    float initial[8] = {};
    optimizer_state_initial(optimizer, hyper, initial);
    state_.resize(P * count);
    for (uint32_t j = 0; j < count; ++j) std::fill_n(state_.begin() + j * P, P, initial[j]);
    optimizer_carried_reset(optimizer, hyper, carried_);
    state_shape_ = net.shape_hash();
    state_kind_ = optimizer;
    state_count_ = count;
    has_state_ = true;
    t_ = 0;
    dev_.state_count = 0;  // the device copy is now stale
}

uint32_t Session::state_per_param_for(const Model& net) const {
    if (!has_state_ || state_shape_ != net.shape_hash()) return 0;
    return state_count_;
}

bool Session::set_optimizer_state(const Model& net, Optimizer optimizer, const OptimizerHyper& hyper,
                                  const std::vector<float>& state, uint64_t steps, const double* carried,
                                  std::string* err) {
    const size_t expected = net.param_count() * optimizer_state_count(optimizer, hyper);
    if (state.size() != expected) {
        return fail(err, std::string(optimizer_info(optimizer).name) + " state for this network has " +
                             std::to_string(expected) + " values, got " + std::to_string(state.size()));
    }
    std::string e = check_finite("optimizer state", state.data(), state.size(), 0);
    if (!e.empty()) return fail(err, e);
    reset_optimizer();
    sync_optimizer(net, optimizer, hyper);
    state_ = state;
    t_ = steps;
    const uint32_t n = optimizer_spec(optimizer).carried_count;
    if (carried) std::copy_n(carried, n, carried_);
    dev_.state_count = 0;
    return true;
}

std::string plan_update_runs(const Model& net, const TrainConfig& cfg, std::vector<UpdateRun>* runs) {
    runs->clear();
    std::vector<bool> used(cfg.param_groups.size(), false);
    for (size_t i = 0; i < net.op_count(); ++i) {
        const OpNode& n = net.node(i);
        const std::string type = n.op->type();
        const bool norm = type == "batch_norm" || type == "layer_norm";
        for (size_t k = 0; k < n.params.size(); ++k) {
            if (!n.params[k].trainable) continue;
            const std::string& pname = n.params[k].name;
            double lr = cfg.learning_rate;
            float wd = cfg.hyper.weight_decay;
            if (cfg.no_decay_on_bias_and_norm && (norm || pname == "bias")) wd = 0.0f;
            for (size_t g = 0; g < cfg.param_groups.size(); ++g) {
                const ParamGroup& pg = cfg.param_groups[g];
                if (pg.match != n.name && pg.match != type && pg.match != pname && pg.match != n.name + "." + pname) {
                    continue;
                }
                used[g] = true;
                lr = std::isnan(pg.learning_rate) ? double(cfg.learning_rate) * pg.lr_scale : pg.learning_rate;
                if (!std::isnan(pg.weight_decay)) wd = float(pg.weight_decay);
            }
            const uint32_t off = uint32_t(n.offsets[k]), count = uint32_t(n.params[k].shape.size());
            if (count == 0) continue;
            if (!runs->empty() && runs->back().offset + runs->back().count == off && runs->back().base_lr == lr &&
                runs->back().weight_decay == wd) {
                runs->back().count += count;
            } else {
                runs->push_back({off, count, lr, wd});
            }
        }
    }
    for (size_t g = 0; g < used.size(); ++g) {
        if (!used[g]) {
            return "parameter group \"" + cfg.param_groups[g].match + "\" matches no trainable parameter: expected "
                   "an op name (\"dense_0\"), an op type (\"dense\"), a parameter name (\"bias\") or "
                   "\"op.parameter\"";
        }
    }
    return "";
}

template <class LrAt>
void Session::next_update(const TrainConfig& cfg, const std::vector<UpdateRun>& runs, LrAt lr_at, StepPlan* p) {
    ++t_;
    OptimizerHyper h = cfg.hyper;
    h.max_norm = cfg.clip_norm;
    h.lr = float(lr_at(runs.empty() ? double(cfg.learning_rate) : runs.front().base_lr));
    optimizer_carried_advance(cfg.optimizer, h, t_, carried_);
    p->optimizer = cfg.optimizer;
    p->clip = cfg.clip_norm > 0.0f;
    p->updates.resize(runs.size());
    for (size_t r = 0; r < runs.size(); ++r) {
        h.lr = float(lr_at(runs[r].base_lr));
        h.weight_decay = runs[r].weight_decay;
        p->updates[r].offset = runs[r].offset;
        p->updates[r].count = runs[r].count;
        p->updates[r].floats = optimizer_floats(cfg.optimizer, h, t_, carried_);
    }
}

// ---- device synchronisation -----------------------------------------------------------------------------------

bool Session::begin(const Model& net, const LayoutSpec& spec, Backend& backend, ArenaLayout* L, std::string* err) {
    if (!make_layout(net, spec, L, err)) return false;
    backend.clear_error();
    if (!backend.reserve(L->floats, L->uints, err)) return false;
    const bool same = dev_.valid && dev_.backend == &backend && dev_.epoch == backend.write_epoch() &&
                      dev_.net_id == net.id() && dev_.shape == net.shape_hash();
    synced_version_ = dev_.params_version;
    if (!same || dev_.params_version != net.params_version()) {
        // Under the model's lock: another thread's session may be writing its results back right now.
        std::lock_guard<std::mutex> lock(net.param_mutex());
        backend.upload(L->params, net.params().data(), net.param_count());
        backend.upload(L->buffers, net.buffers().data(), net.buffer_count());
        synced_version_ = net.params_version();
    }
    const uint32_t sc = L->state_count();
    if (sc > 0 && (!same || dev_.state_count != sc)) backend.upload(L->state, state_.data(), sc);
    dev_.valid = false;  // until end() records what the device holds
    return check_backend(backend, err);
}

void Session::end(const Model& net, Backend& backend, bool state_on_device) {
    dev_.backend = &backend;
    dev_.epoch = backend.write_epoch();
    dev_.net_id = net.id();
    // NOTE: not net.params_version(): a fit on another thread may have written new parameters since begin()
    // (a predict during that fit's write-back would otherwise mark its old upload current, and every later
    // predict would keep using the parameters from before the fit).
    dev_.params_version = synced_version_;
    dev_.shape = net.shape_hash();
    dev_.state_count = state_on_device ? uint32_t(state_.size()) : 0;
    dev_.valid = backend.error().empty();
}

bool Session::check_backend(Backend& backend, std::string* err) {
    if (backend.error().empty()) return true;
    dev_.valid = false;
    return fail(err, backend.name() + " backend: " + backend.error());
}

void Session::run_step(const Model& net, const ArenaLayout& layout, const StepPlan& plan, Backend& backend) {
    calls_.clear();
    plan_train_step(net, layout, plan, &calls_);
    backend.run(calls_.data(), calls_.size());
}

// One readback for everything an update leaves behind: params | state | the first `losses` loss slots.
bool Session::finish_update(Model& net, const ArenaLayout& L, Backend& backend, uint32_t losses, float* loss_out,
                            std::string* err) {
    const size_t end = losses ? L.loss + losses : L.state + L.state_count();
    std::vector<float> tmp(end - L.params);
    backend.download(L.params, tmp.data(), tmp.size());
    if (!check_backend(backend, err)) return false;
    download_params(net, L, tmp);
    std::copy_n(tmp.begin() + (L.state - L.params), L.state_count(), state_.begin());
    if (losses) std::copy_n(tmp.begin() + (L.loss - L.params), losses, loss_out);
    return true;
}

void Session::download_params(Model& net, const ArenaLayout& L, const std::vector<float>& tmp) {
    std::lock_guard<std::mutex> lock(net.param_mutex());
    if (net.param_count()) std::memcpy(net.mutable_params(), tmp.data(), net.param_count() * sizeof(float));
    if (net.buffer_count()) {
        std::memcpy(net.mutable_buffers(), tmp.data() + (L.buffers - L.params), net.buffer_count() * sizeof(float));
    }
    synced_version_ = net.params_version();  // the host now holds what the device holds
}

// Every step draws its own seed (dropout masks) from the configured seed and the optimizer's step count, so a
// run is reproducible from its seed on every backend and a resumed run continues the sequence.
uint64_t Session::step_seed(const TrainConfig& cfg) const { return Rng::mix(cfg.seed ^ 0xD509A5EEDull, t_); }

// ---- public calls -------------------------------------------------------------------------------------------

bool Session::fit(Model& net, const float* X, const float* T, size_t rows, const TrainConfig& cfg,
                  Backend& backend, FitResult* result, std::string* err, const FitHooks& hooks,
                  const FitWatch* watch_in) {
    static const FitWatch kUnwatched;
    const FitWatch& watch = watch_in ? *watch_in : kUnwatched;
    const auto t0 = Clock::now();
    FitResult r;
    r.backend = backend.name();
    r.device = backend.device_name();
    std::string e = check_config(cfg, true);
    if (e.empty()) e = check_batch(net, X, T, rows, cfg.loss);
    if (e.empty() && (cfg.first_epoch < 0 || cfg.first_epoch >= cfg.epochs)) {
        e = "first_epoch must be in [0, epochs), got " + std::to_string(cfg.first_epoch);
    }
    std::vector<UpdateRun> runs;
    if (e.empty()) e = plan_update_runs(net, cfg, &runs);
    if (e.empty()) e = check_watch(watch, net);
    if (e.empty()) e = check_schedule_watch(cfg.schedule, watch);
    if (e.empty() && watch.val_rows > 0) {
        e = check_batch(net, watch.val_x, watch.val_t, watch.val_rows, cfg.loss);
        if (!e.empty()) e = "validation data: " + e;
        if (e.empty() && rows + watch.val_rows > UINT32_MAX / 2) e = "too many rows with the validation data";
    }
    if (!e.empty()) return fail(err, e);
    sync_optimizer(net, cfg.optimizer, cfg.hyper);

    const uint32_t n = uint32_t(rows);
    const uint32_t nv = uint32_t(watch.val_rows);
    // Watching reads every epoch back (its log, and the parameters for observers): one epoch per chunk.
    const bool watched = watch.active();
    const uint32_t B = std::min<uint32_t>(uint32_t(cfg.batch_size), n);
    const uint32_t steps = (n + B - 1) / B;  // per epoch; the last batch takes the remainder
    // A schedule that reads the loss (reduce-on-plateau) needs each epoch's loss before the next epoch's rates.
    const bool reads_loss = schedule_needs_loss(cfg.schedule);
    const uint32_t per_chunk = reads_loss || watched ? 1u : std::min<uint32_t>(uint32_t(cfg.epochs),
                                                  std::max<uint32_t>(1, (uint32_t(cfg.min_steps_per_submit) + steps - 1) / steps));
    const int64_t horizon = cfg.schedule.per_step ? int64_t(cfg.epochs) * steps : int64_t(cfg.epochs);
    ScheduleState own_sched_state;
    ScheduleState& sched_state = hooks.schedule_state ? *hooks.schedule_state : own_sched_state;
    const EvalSetup ev = eval_setup(net, watch, n, B);
    LayoutSpec spec;
    spec.batch_rows = std::max(B, ev.rows);
    spec.data_rows = n + nv;
    spec.loss_slots = per_chunk * steps + ev.val_batches;
    spec.perm_count = per_chunk * n + ev.tail;
    spec.state_per_param = state_per_param_for(net);
    spec.grads = true;
    ArenaLayout L;
    if (!begin(net, spec, backend, &L, err)) return false;
    const BackendStats s0 = backend.stats();
    backend.upload(L.data_x, X, size_t(n) * net.input_width());  // once per fit
    backend.upload(L.data_t, T, size_t(n) * net.output_width());
    if (nv > 0) {
        backend.upload(L.data_x + size_t(n) * net.input_width(), watch.val_x, size_t(nv) * net.input_width());
        backend.upload(L.data_t + size_t(n) * net.output_width(), watch.val_t, size_t(nv) * net.output_width());
    }
    const uint32_t tail_start = per_chunk * n;  // identity indices: the eval passes gather rows through them
    if (ev.tail > 0) {
        std::vector<uint32_t> identity(ev.tail);
        std::iota(identity.begin(), identity.end(), 0u);
        backend.upload_indices(L.perm + tail_start, identity.data(), identity.size());
    }
    EarlyStopper own_stopper(watch.early);
    EarlyStopper& stopper = hooks.early_stopper ? *hooks.early_stopper : own_stopper;
    std::vector<float> chunk_lr(per_chunk);
    std::vector<float> val_y, train_y;
    bool stop_asked = false, paused = false;

    std::vector<uint32_t> perm(spec.perm_count);
    std::vector<float> losses(spec.loss_slots);
    // Read once, like cfg: an on_epoch hook may set them (LKTrainer.fusion) for the next call, not this one.
    const bool fused_loss = allow_fused_loss, op_fusion = allow_op_fusion;
    int epoch = cfg.first_epoch;
    while (epoch < cfg.epochs) {
        const uint32_t chunk = std::min<uint32_t>(per_chunk, uint32_t(cfg.epochs - epoch));
        for (uint32_t k = 0; k < chunk; ++k) fill_permutation(&perm[k * n], n, cfg.shuffle, cfg.seed, epoch + int(k));
        backend.upload_indices(L.perm, perm.data(), size_t(chunk) * n);
        for (uint32_t k = 0; k < chunk; ++k) {
            for (uint32_t s = 0; s < steps; ++s) {
                const int64_t at = cfg.schedule.per_step ? int64_t(epoch + int(k)) * steps + s : epoch + int(k);
                const auto lr_at = [&](double base) {
                    return learning_rate_at(cfg.schedule, base, at, horizon, &sched_state);
                };
                StepPlan p;
                p.rows = std::min(B, n - s * B);
                p.gather = true;
                p.perm_start = k * n + s * B;
                p.loss = cfg.loss;
                p.loss_slot = k * steps + s;
                p.allow_fused = fused_loss;
                p.allow_op_fusion = op_fusion;
                p.seed = step_seed(cfg);
                if (s == 0) chunk_lr[k] = float(lr_at(double(cfg.learning_rate)));
                next_update(cfg, runs, lr_at, &p);
                run_step(net, L, p, backend);
                ++r.steps;
            }
        }
        const bool last = epoch + int(chunk) == cfg.epochs;
        if (watched && !eval_epoch(net, L, watch, ev, cfg.loss, backend, n, tail_start, steps, &val_y, &train_y, err)) {
            return false;
        }
        if (last || watched) {  // watched: the parameters go to the model every epoch, for its observers
            if (!finish_update(net, L, backend, chunk * steps + ev.val_batches, losses.data(), err)) return false;
        } else {
            backend.download(L.loss, losses.data(), size_t(chunk) * steps);  // the chunk's only readback
            if (!check_backend(backend, err)) return false;
        }
        for (uint32_t k = 0; k < chunk; ++k) {
            double sum = 0.0;  // weighted by batch rows: the short last batch counts for what it holds
            for (uint32_t s = 0; s < steps; ++s) {
                const float v = losses[k * steps + s];
                sum += double(v) * std::min(B, n - s * B);
                if (!std::isfinite(v) && r.nonfinite_epoch < 0) {
                    r.nonfinite_epoch = epoch + int(k);
                    r.nonfinite_step = int(s);
                }
            }
            r.epoch_loss.push_back(float(sum / n));
            r.epoch_lr.push_back(chunk_lr[k]);
            if (watched) {
                r.logs.push_back(epoch_log(epoch + int(k), r.epoch_loss.back(), watch, losses.data() + steps,
                                           ev.rows, val_y, train_y, T, n, net.output_width()));
            }
            if (reads_loss) {  // after the epoch, before the next one's rates (torch: scheduler.step(value))
                const int at = epoch + int(k);
                const bool own_loss = cfg.schedule.monitor == "loss" || !watched;  // else checked: logged
                schedule_observe(cfg.schedule, &sched_state,
                                 !own_loss ? r.logs.back().get(cfg.schedule.monitor)
                                 : hooks.plateau_metric ? hooks.plateau_metric(at, r.epoch_loss.back())
                                                        : double(r.epoch_loss.back()));
            }
            if (hooks.on_epoch) hooks.on_epoch(epoch + int(k), r.epoch_loss.back());
            if (!watched) continue;
            if (watch.early.enabled && stopper.observe(r.logs.back(), net)) r.early_stopped = true;
            if (hooks.on_epoch_log && !hooks.on_epoch_log(r.logs.back())) stop_asked = true;
        }
        epoch += int(chunk);
        // A diverged run stops at the end of the chunk that diverged (whole chunks run on the device).
        const bool diverged = cfg.stop_on_nonfinite && r.nonfinite_epoch >= 0;
        const bool watch_stop = r.early_stopped || stop_asked;
        if (!last && (diverged || watch_stop || (hooks.should_stop && hooks.should_stop()))) {
            if (!watched && !finish_update(net, L, backend, 0, nullptr, err)) return false;
            r.stopped = true;
            paused = hooks.pause_on_stop && !diverged && !watch_stop;
            break;
        }
        r.early_stopped = false;  // asked for on the last epoch: the fit ended anyway
    }
    end(net, backend, true);
    r.best_epoch = stopper.best_epoch();
    // After end(): the device keeps the last epoch's parameters and the model's new version makes the next
    // call upload the restored ones.
    r.paused = paused;
    if (!paused) r.restored_best = stopper.restore(net);
    const BackendStats& s1 = backend.stats();
    r.submits = s1.submits - s0.submits;
    r.readbacks = s1.readbacks - s0.readbacks;
    r.record_ms = s1.record_ms - s0.record_ms;
    r.total_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (result) *result = std::move(r);
    return true;
}

bool Session::step(Model& net, const float* X, const float* T, size_t rows, const TrainConfig& cfg,
                   Backend& backend, float* loss, std::string* err) {
    std::string e = check_config(cfg, false);
    if (e.empty()) e = check_batch(net, X, T, rows, cfg.loss);
    std::vector<UpdateRun> runs;
    if (e.empty()) e = plan_update_runs(net, cfg, &runs);
    if (!e.empty()) return fail(err, e);
    sync_optimizer(net, cfg.optimizer, cfg.hyper);
    LayoutSpec spec;
    spec.batch_rows = uint32_t(rows);
    spec.loss_slots = 1;
    spec.state_per_param = state_per_param_for(net);
    spec.grads = true;
    ArenaLayout L;
    if (!begin(net, spec, backend, &L, err)) return false;
    backend.upload(L.batch_x, X, rows * net.input_width());
    backend.upload(L.batch_t, T, rows * net.output_width());
    StepPlan p;
    p.rows = uint32_t(rows);
    p.loss = cfg.loss;
    p.allow_fused = allow_fused_loss;
    p.allow_op_fusion = allow_op_fusion;
    p.seed = step_seed(cfg);
    next_update(cfg, runs, [](double base) { return base; }, &p);
    run_step(net, L, p, backend);
    float value = 0.0f;
    if (!finish_update(net, L, backend, 1, &value, err)) return false;
    if (loss) *loss = value;
    end(net, backend, true);
    return true;
}

bool Session::gradients(Model& net, const float* X, const float* T, size_t rows, const LossSetup& loss,
                        Backend& backend,
                        float* loss_value, std::vector<float>* grads, std::string* err, uint64_t seed) {
    std::string e = check_batch(net, X, T, rows, loss);
    if (!e.empty()) return fail(err, e);
    LayoutSpec spec;
    spec.batch_rows = uint32_t(rows);
    spec.loss_slots = 1;
    spec.state_per_param = state_per_param_for(net);  // keeps any optimizer state where it is on the device
    spec.grads = true;
    ArenaLayout L;
    if (!begin(net, spec, backend, &L, err)) return false;
    backend.upload(L.batch_x, X, rows * net.input_width());
    backend.upload(L.batch_t, T, rows * net.output_width());
    StepPlan p;
    p.rows = uint32_t(rows);
    p.loss = loss;
    p.allow_fused = allow_fused_loss;
    p.allow_op_fusion = allow_op_fusion;
    // step_seed() of a config with this seed: the gradients of the step() that would come next (it used to
    // leave the trainer's seed out, so with seed != 0 the masks differed from the step's).
    p.seed = Rng::mix(seed ^ 0xD509A5EEDull, t_);
    p.update = false;
    run_step(net, L, p, backend);
    std::vector<float> tmp(L.grads + L.param_count - L.loss);  // loss | grads: one readback
    backend.download(L.loss, tmp.data(), tmp.size());
    if (!check_backend(backend, err)) return false;
    if (net.buffer_count()) {
        // A train-mode forward updates running statistics (as torch's does): keep the host copy in step.
        std::vector<float> buf(net.buffer_count());
        backend.download(L.buffers, buf.data(), buf.size());
        std::lock_guard<std::mutex> lock(net.param_mutex());
        std::memcpy(net.mutable_buffers(), buf.data(), buf.size() * sizeof(float));
        synced_version_ = net.params_version();
    }
    if (loss_value) *loss_value = tmp[0];
    if (grads) grads->assign(tmp.begin() + (L.grads - L.loss), tmp.end());
    end(net, backend, spec.state_per_param > 0);
    return true;
}

bool Session::predict(const Model& net, const float* X, size_t rows, Backend& backend, std::vector<float>* Y,
                      std::string* err, std::vector<std::vector<float>>* tensors) {
    std::string e = net.validate();
    if (e.empty()) e = check_matrix("X", X, X ? rows * net.input_width() : 0, rows, net.input_width());
    if (!e.empty()) return fail(err, e);
    uint64_t per_row = net.input_width();
    for (size_t t = 1; t < net.tensor_count(); ++t) per_row += net.tensor(TensorId(t)).shape.size();
    for (size_t i = 0; i < net.op_count(); ++i) {
        per_row += net.node(i).op->scratch_floats(net.node(i).in_shapes, 1);
    }
    const uint32_t chunk = uint32_t(std::clamp<uint64_t>(kPredictBudgetFloats / per_row, 1, rows));
    LayoutSpec spec;
    spec.batch_rows = chunk;
    spec.state_per_param = state_per_param_for(net);
    ArenaLayout L;
    if (!begin(net, spec, backend, &L, err)) return false;
    const uint32_t in = net.input_width(), out = net.output_width();
    Y->resize(rows * out);
    if (tensors) {
        tensors->assign(net.tensor_count(), {});
        (*tensors)[0].assign(X, X + rows * in);
    }
    for (size_t r0 = 0; r0 < rows; r0 += chunk) {
        const uint32_t m = uint32_t(std::min<size_t>(chunk, rows - r0));
        backend.upload(L.batch_x, X + r0 * in, size_t(m) * in);
        calls_.clear();
        plan_forward(net, L, m, Mode::EVAL, 0, &calls_, allow_op_fusion);
        backend.run(calls_.data(), calls_.size());
        backend.download(L.output(), Y->data() + r0 * out, size_t(m) * out);
        for (size_t t = 1; tensors && t < net.tensor_count(); ++t) {
            std::vector<float>& v = (*tensors)[t];
            const size_t width = size_t(net.tensor(TensorId(t)).shape.size());
            v.resize(v.size() + size_t(m) * width);
            backend.download(L.value[t], v.data() + v.size() - size_t(m) * width, size_t(m) * width);
        }
        if (!check_backend(backend, err)) return false;
    }
    end(net, backend, spec.state_per_param > 0);
    return true;
}

}  // namespace lk
