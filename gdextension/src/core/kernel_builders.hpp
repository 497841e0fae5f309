// Kernel-call builders: the only functions that know each kernel family's push-constant layout and workgroup
// counts (the slot indices come from the generated kernel_slots.hpp; the variant of a family comes from the
// generated lookups in kernels.hpp). Hand-written, next to the plan builders that call them.
//
// Conventions shared by every kernel:
//   - Offsets are element offsets into the float arena (or the uint32 iarena for indices); matrices are
//     row-major; W is out x in (torch nn.Linear); a batch has one sample per row.
//   - Workgroup counts are never 0 (Godot rejects empty dispatches).
//   - `accumulate`: false writes the result (out = r), true adds it (out += r). The planner passes false for
//     the first write of a gradient in a step and true afterwards, which gives the semantics of gradients
//     zeroed at the start of the step and accumulated by every use, without a zeroing pass.
//   - Row-wise activations (SOFTMAX, LOG_SOFTMAX) have no elementwise variants: dense_forward, act_forward,
//     act_backward and dense_backward_input use the IDENTITY variant for them; callers add row_forward /
//     row_backward.
//   - `params`: the activation's parameters (ActParams, kernels.hpp), in the family's float slots ACT_P0..;
//     the kernel reads only those its activation has.
//   - Unless stated, outputs must not overlap inputs.
#pragma once
#include <cstdint>

#include "core/kernel_call.hpp"
#include "kernels/kernels.hpp"
#include "kernels/optimizer_host.hpp"

namespace lk::kernels {

// dst[r * row_len + c] = arena[src_off + iarena[idx_off + idx_start + r] * row_len + c], r < rows.
KernelCall gather_rows(uint32_t src_off, uint32_t dst_off, uint32_t idx_off, uint32_t idx_start, uint32_t rows,
                       uint32_t row_len);
// Z[MxN] = X[MxK] . W[NxK]^T + b[N]; Y = act(Z) (y_off may equal z_off). SOFTMAX: Y = Z, then softmax_rows.
KernelCall dense_forward(Activation act, const ActParams& params, uint32_t x_off, uint32_t w_off, uint32_t b_off,
                         uint32_t z_off, uint32_t y_off, uint32_t M, uint32_t N, uint32_t K);
// y[i] = act(x[i]) for i < count (y_off may equal x_off). Elementwise activations only.
KernelCall act_forward(Activation act, const ActParams& params, uint32_t x_off, uint32_t y_off, uint32_t count);
// y[r, :] = act(z[r, :]) for a row-wise activation: softmax, or log_softmax (y_off may equal z_off). NOOP for
// an elementwise one.
KernelCall row_forward(Activation act, uint32_t z_off, uint32_t y_off, uint32_t rows, uint32_t cols);
// row_forward(SOFTMAX, ...).
KernelCall softmax_rows(uint32_t z_off, uint32_t y_off, uint32_t rows, uint32_t cols);
// Mean (loss.sum: summed) loss into arena[loss_off]; gradient into g (overwritten): dL/dy, or dL/dz when fused
// (valid only when the output is loss_info(loss.kind).fused_activation of z; z_off is read only when fused).
// g_off may equal y_off. loss.params travel in the float slots LOSS_P0..
KernelCall loss(const LossSetup& loss, bool fused, uint32_t y_off, uint32_t z_off, uint32_t t_off, uint32_t g_off,
                uint32_t loss_off, uint32_t rows, uint32_t cols);
// out[i] (+)= g[i] * act'(z[i], y[i]) for i < count (out_off may equal g_off when !accumulate).
KernelCall act_backward(Activation act, const ActParams& params, uint32_t g_off, uint32_t z_off, uint32_t y_off,
                        uint32_t out_off, uint32_t count, bool accumulate);
// The gradient through a row-wise activation, from its output y (out_off may equal g_off when !accumulate):
//   SOFTMAX:     out[r, i] (+)= y[r, i] * (g[r, i] - sum_j g[r, j] y[r, j])
//   LOG_SOFTMAX: out[r, i] (+)= g[r, i] - exp(y[r, i]) * sum_j g[r, j]
KernelCall row_backward(Activation act, uint32_t g_off, uint32_t y_off, uint32_t out_off, uint32_t rows,
                        uint32_t cols, bool accumulate);
// row_backward(SOFTMAX, ...).
KernelCall softmax_backward(uint32_t g_off, uint32_t y_off, uint32_t out_off, uint32_t rows, uint32_t cols,
                            bool accumulate);
// dW[NxK] (+)= G[MxN]^T . X[MxK].
KernelCall weight_grad(uint32_t g_off, uint32_t x_off, uint32_t dw_off, uint32_t M, uint32_t N, uint32_t K,
                       bool accumulate);
// db[j] (+)= sum_r G[r, j], G rows x cols.
KernelCall bias_grad(uint32_t g_off, uint32_t db_off, uint32_t rows, uint32_t cols, bool accumulate);
// out[MxK] (+)= (G[MxN] . W[NxK]) * prev_act'(z, y), z/y the producer's pre-activation and output
// (IDENTITY and SOFTMAX: the raw product; for SOFTMAX follow with softmax_backward).
KernelCall dense_backward_input(Activation prev_act, const ActParams& params, uint32_t g_off, uint32_t w_off, uint32_t z_off,
                                uint32_t y_off, uint32_t out_off, uint32_t M, uint32_t N, uint32_t K,
                                bool accumulate);
// PReLU (torch.nn.PReLU) over a rows x cols batch, slope w[shared ? 0 : c] for column c:
// y = x > 0 ? x : w x (y_off may equal x_off);
KernelCall prelu_forward(uint32_t x_off, uint32_t w_off, uint32_t y_off, uint32_t rows, uint32_t cols,
                         bool shared);
// out (+)= g * (x > 0 ? 1 : w) (out_off may equal g_off when !accumulate);
KernelCall prelu_backward_input(uint32_t g_off, uint32_t x_off, uint32_t w_off, uint32_t out_off, uint32_t rows,
                                uint32_t cols, bool shared, bool accumulate);
// dw[j] (+)= sum over the elements of slope j (column j, or all when shared) of (x > 0 ? 0 : g x).
KernelCall prelu_backward_param(uint32_t g_off, uint32_t x_off, uint32_t dw_off, uint32_t rows, uint32_t cols,
                                bool shared, bool accumulate);
// arena[off + i] = value for i < count.
KernelCall fill(uint32_t off, uint32_t count, float value);
// out[i] = a[i] + b[i] for i < count (out may equal a or b).
KernelCall add(uint32_t a_off, uint32_t b_off, uint32_t out_off, uint32_t count);
// out[i] (+)= x[i] for i < count: passes a gradient on (residual add's backward, identity).
KernelCall copy(uint32_t x_off, uint32_t out_off, uint32_t count, bool accumulate);

// Inverted dropout with counter-based random numbers: element i is kept when lk_uniform(seed, i) >= p, where
// lk_uniform is the same integer hash on both backends (so CPU and GPU masks are identical for a seed).
// y[i] = keep ? x[i] / (1 - p) : 0. p in [0, 1); seed = the step's seed (two 32-bit halves).
KernelCall dropout_forward(uint32_t x_off, uint32_t y_off, uint32_t count, float p, uint64_t seed);
// out[i] (+)= keep ? g[i] / (1 - p) : 0, the mask recomputed from the same seed.
KernelCall dropout_backward(uint32_t g_off, uint32_t out_off, uint32_t count, float p, uint64_t seed,
                            bool accumulate);

// Batch normalisation over the features of a rows x cols batch (torch.nn.BatchNorm1d on N x C):
// train: mean/var (biased) over the rows of each column; y = (x - mean) * invstd * gamma + beta;
// saves mean and invstd = 1/sqrt(var + eps) (cols each) for the backward pass; updates the running
// statistics: run_mean = (1 - momentum) run_mean + momentum mean, run_var likewise with the UNBIASED
// variance (var * rows / (rows - 1); rows == 1 keeps var). affine == false: gamma = 1, beta = 0 (offsets unused).
KernelCall batchnorm_forward_train(uint32_t x_off, uint32_t gamma_off, uint32_t beta_off, uint32_t y_off,
                                   uint32_t mean_off, uint32_t invstd_off, uint32_t run_mean_off,
                                   uint32_t run_var_off, uint32_t rows, uint32_t cols, float eps, float momentum,
                                   bool affine);
// eval: y = (x - run_mean) / sqrt(run_var + eps) * gamma + beta.
KernelCall batchnorm_forward_eval(uint32_t x_off, uint32_t gamma_off, uint32_t beta_off, uint32_t y_off,
                                  uint32_t run_mean_off, uint32_t run_var_off, uint32_t rows, uint32_t cols,
                                  float eps, bool affine);
// Backward of the train-mode forward: dx (+)= (accumulate_dx), dgamma/dbeta (+)= (accumulate_params; skipped
// when !affine). dx_off may be ~0u: no input gradient wanted.
KernelCall batchnorm_backward(uint32_t g_off, uint32_t x_off, uint32_t gamma_off, uint32_t mean_off,
                              uint32_t invstd_off, uint32_t dx_off, uint32_t dgamma_off, uint32_t dbeta_off,
                              uint32_t rows, uint32_t cols, bool affine, bool accumulate_dx,
                              bool accumulate_params);

// Layer normalisation over the cols features of each row (torch.nn.LayerNorm(cols)): mean and biased var per
// row, y = (x - mean) * rstd * gamma + beta, rstd = 1/sqrt(var + eps); saves mean and rstd (rows each).
KernelCall layernorm_forward(uint32_t x_off, uint32_t gamma_off, uint32_t beta_off, uint32_t y_off,
                             uint32_t mean_off, uint32_t rstd_off, uint32_t rows, uint32_t cols, float eps,
                             bool affine);
// dx (+)= for every row (per-row reduction).
KernelCall layernorm_backward_input(uint32_t g_off, uint32_t x_off, uint32_t gamma_off, uint32_t mean_off,
                                    uint32_t rstd_off, uint32_t dx_off, uint32_t rows, uint32_t cols, bool affine,
                                    bool accumulate);
// dgamma[c] (+)= sum_r g * xhat, dbeta[c] (+)= sum_r g (per-column reduction over rows).
KernelCall layernorm_backward_params(uint32_t g_off, uint32_t x_off, uint32_t mean_off, uint32_t rstd_off,
                                     uint32_t dgamma_off, uint32_t dbeta_off, uint32_t rows, uint32_t cols,
                                     bool accumulate);

// arena[partial_off + w] = sum of g[i]^2 over the 256-element chunks w, w + P, w + 2P, ... (P = SUMSQ_PARTIALS)
// of g[0 .. count). Run it over ALL gradients (keep them contiguous) before optimizer_step when max_norm > 0.
KernelCall grad_sumsq(uint32_t g_off, uint32_t count, uint32_t partial_off);
// One update of `count` parameters at p_off from gradients at g_off. State j (the j-th that exists, see
// optimizer_state_count) of parameter i is at s_off + j * s_stride + i: s_stride is the whole parameter block's
// length, so a run of parameters (a parameter group) updates its slice of every state in place. f: the step's
// float push constants (optimizer_floats() of kernels/optimizer_host.hpp). If f.f[0] (max_norm) > 0, first
// scales g by min(1, max_norm / (sqrt(sum of the SUMSQ_PARTIALS partials) + 1e-6)).
KernelCall optimizer_step(Optimizer opt, const OptimizerFloats& f, uint32_t p_off, uint32_t g_off, uint32_t s_off,
                          uint32_t s_stride, uint32_t count, uint32_t partial_off);

}  // namespace lk::kernels
