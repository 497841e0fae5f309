// The watched part of Session::fit (validation, metrics): eval-mode passes over rows that already live on the
// device, in the session's own arena, after each epoch's training steps. The validation rows are uploaded once
// per fit, after the training rows (data_x / data_t hold n + val_rows rows), and an identity index run after
// the training permutation lets the ordinary gather kernel read any of them: nothing is re-uploaded per epoch.
#include <algorithm>

#include "core/plan.hpp"
#include "core/session.hpp"

namespace lk {

namespace {
// Eval batches keep their activations under this many floats (as Session::predict's chunks).
constexpr uint64_t kEvalBudgetFloats = 8u << 20;
}  // namespace

Session::EvalSetup Session::eval_setup(const Model& net, const FitWatch& watch, uint32_t n, uint32_t batch) {
    EvalSetup ev;
    if (watch.val_rows == 0 && watch.metrics.empty()) return ev;
    // Floats per row of a batch in a training layout: values, gradients and scratch of every tensor.
    uint64_t per_row = net.input_width() + net.output_width();
    for (size_t t = 1; t < net.tensor_count(); ++t) per_row += 2 * net.tensor(TensorId(t)).shape.size();
    for (size_t i = 0; i < net.op_count(); ++i) per_row += net.node(i).op->scratch_floats(net.node(i).in_shapes, 1);
    // The largest set evaluated in one batch when it fits the budget (one pass, one readback), else in chunks.
    const uint64_t wanted = std::max<uint64_t>(watch.val_rows, watch.metrics.empty() ? 0 : n);
    const uint64_t fits = std::max<uint64_t>(batch, kEvalBudgetFloats / std::max<uint64_t>(per_row, 1));
    ev.rows = uint32_t(std::clamp<uint64_t>(wanted, batch, fits));
    ev.val_batches = uint32_t((watch.val_rows + ev.rows - 1) / ev.rows);
    ev.tail = n + uint32_t(watch.val_rows);
    return ev;
}

bool Session::eval_epoch(const Model& net, const ArenaLayout& L, const FitWatch& watch, const EvalSetup& ev,
                         const LossSetup& loss, Backend& backend, uint32_t n, uint32_t tail_start, uint32_t loss_base,
                         std::vector<float>* val_y, std::vector<float>* train_y, std::string* err) {
    const uint32_t out_w = net.output_width();
    const bool metrics = !watch.metrics.empty();
    // Rows [first, first + count) of the data region; outputs into *y when given.
    auto pass = [&](uint32_t first, uint32_t count, bool with_loss, std::vector<float>* y) {
        if (y) y->resize(size_t(count) * out_w);
        for (uint32_t r0 = 0, b = 0; r0 < count; r0 += ev.rows, ++b) {
            const uint32_t m = std::min(ev.rows, count - r0);
            calls_.clear();
            plan_eval_batch(net, L, m, tail_start + first + r0, with_loss ? &loss : nullptr, loss_base + b,
                            allow_fused_loss, allow_op_fusion, &calls_);
            backend.run(calls_.data(), calls_.size());
            if (y) backend.download(L.output(), y->data() + size_t(r0) * out_w, size_t(m) * out_w);
        }
    };
    if (watch.val_rows > 0) pass(n, uint32_t(watch.val_rows), true, metrics ? val_y : nullptr);
    if (metrics) pass(0, n, false, train_y);
    return check_backend(backend, err);
}

}  // namespace lk
