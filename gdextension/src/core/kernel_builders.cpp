// The KernelCall builders (semantics: kernel_builders.hpp). Each one picks its family's variant through the
// generated lookups, fills the family's push-constant slots (kernel_slots.hpp, generated from the same FAMILIES
// table as the shaders' P_* macros) and sizes the dispatch.
#include "core/kernel_builders.hpp"

#include <algorithm>
#include <iterator>

#include "kernels/kernel_slots.hpp"

namespace lk::kernels {
namespace {

// 65535: the smallest maxComputeWorkGroupCount Vulkan allows; grid-stride kernels cover the rest.
constexpr uint64_t MAX_GROUPS = 65535;

// ceil(n / d), at least 1.
uint32_t ceil_div(uint64_t n, uint64_t d) { return uint32_t(std::max<uint64_t>(1, (n + d - 1) / d)); }
// Grid-stride kernels: one thread per item up to MAX_GROUPS workgroups, at least one workgroup. `local` is the
// family's slot::<family>::WORKGROUP_X.
uint32_t stride_groups(uint64_t items, uint64_t local) {
    return uint32_t(std::clamp<uint64_t>((items + local - 1) / local, 1, MAX_GROUPS));
}

KernelCall make(Kernel kernel, uint32_t gx, uint32_t gy = 1) {
    KernelCall call;
    call.kernel = kernel;
    call.groups[0] = gx;
    call.groups[1] = gy;
    call.groups[2] = 1;
    return call;
}

// The three layer GEMMs share a family: C[rows x cols] = A'[rows x inner] . B'[inner x cols] + epilogue.
// A 16x16 workgroup computes a 64x64 tile of C, or a 128x128 one in the big variants. The big tiles do twice
// the arithmetic per load but give a quarter of the workgroups: they pay once C has enough of them to keep a
// large GPU busy (256, about two per SM of an H100; 2048 x 2048 and up). Measured on an H100:
// n = 1024, 64 tiles 28 TFLOP/s vs 17 with 128 (64 workgroups); n = 2048, 128 tiles 41 vs 29 with 64.
constexpr uint64_t GEMM_BIG_TILES = 256;

bool gemm_big(uint32_t rows, uint32_t cols) {
    return uint64_t(ceil_div(rows, GEMM_BIG_TILE)) * ceil_div(cols, GEMM_BIG_TILE) >= GEMM_BIG_TILES;
}

KernelCall gemm(Kernel kernel, uint32_t a_off, uint32_t b_off, uint32_t c_off, uint32_t rows, uint32_t cols,
                uint32_t inner, bool big, bool accumulate) {
    namespace s = slot::gemm;
    const uint32_t tile = big ? GEMM_BIG_TILE : GEMM_SMALL_TILE;
    KernelCall call = make(kernel, ceil_div(cols, tile), ceil_div(rows, tile));
    call.push.u[s::A_OFF] = a_off;
    call.push.u[s::B_OFF] = b_off;
    call.push.u[s::C_OFF] = c_off;
    call.push.u[s::ROWS] = rows;
    call.push.u[s::COLS] = cols;
    call.push.u[s::INNER] = inner;
    call.push.u[s::ACCUMULATE] = accumulate ? 1u : 0u;
    return call;
}

// An activation's parameters into the float slots first .. first + ACT_PARAM_SLOTS - 1 of its family.
void set_act_params(KernelCall* call, uint32_t first, const ActParams& params) {
    for (int k = 0; k < ACT_PARAM_SLOTS; ++k) call->push.f[first + uint32_t(k)] = params.p[k];
}

}  // namespace

KernelCall gather_rows(uint32_t src_off, uint32_t dst_off, uint32_t idx_off, uint32_t idx_start, uint32_t rows,
                       uint32_t row_len) {
    namespace s = slot::gather_rows;
    KernelCall call = make(Kernel::GATHER_ROWS, stride_groups(uint64_t(rows) * row_len, s::WORKGROUP_X));
    call.push.u[s::SRC_OFF] = src_off;
    call.push.u[s::DST_OFF] = dst_off;
    call.push.u[s::IDX_OFF] = idx_off;
    call.push.u[s::IDX_START] = idx_start;
    call.push.u[s::ROWS] = rows;
    call.push.u[s::ROW_LEN] = row_len;
    return call;
}

KernelCall dense_forward(Activation act, const ActParams& params, uint32_t x_off, uint32_t w_off, uint32_t b_off,
                         uint32_t z_off, uint32_t y_off, uint32_t M, uint32_t N, uint32_t K) {
    namespace s = slot::gemm;
    const bool big = gemm_big(M, N);
    KernelCall call = gemm(dense_forward_variant(act, big), x_off, w_off, z_off, M, N, K, big, false);
    call.push.u[s::BIAS_OFF] = b_off;
    call.push.u[s::Y_OFF] = y_off;
    set_act_params(&call, s::ACT_P0, params);
    return call;
}

KernelCall act_forward(Activation act, const ActParams& params, uint32_t x_off, uint32_t y_off, uint32_t count) {
    namespace s = slot::act_forward;
    KernelCall call = make(act_forward_variant(act), stride_groups(count, s::WORKGROUP_X));
    call.push.u[s::X_OFF] = x_off;
    call.push.u[s::Y_OFF] = y_off;
    call.push.u[s::COUNT] = count;
    set_act_params(&call, s::ACT_P0, params);
    return call;
}

KernelCall softmax_rows(uint32_t z_off, uint32_t y_off, uint32_t rows, uint32_t cols) {
    return row_forward(Activation::SOFTMAX, z_off, y_off, rows, cols);
}

KernelCall row_forward(Activation act, uint32_t z_off, uint32_t y_off, uint32_t rows, uint32_t cols) {
    namespace s = slot::softmax_rows;
    KernelCall call = make(row_forward_variant(act), stride_groups(rows, s::WORKGROUP_X));
    call.push.u[s::Z_OFF] = z_off;
    call.push.u[s::Y_OFF] = y_off;
    call.push.u[s::ROWS] = rows;
    call.push.u[s::COLS] = cols;
    return call;
}

KernelCall loss(const LossSetup& loss, bool fused, uint32_t y_off, uint32_t z_off, uint32_t t_off, uint32_t g_off,
                uint32_t loss_off, uint32_t rows, uint32_t cols) {
    namespace s = slot::loss;
    KernelCall call = make(loss_variant(loss.kind, fused), 1);  // ONE workgroup: the mean is reduced in it
    call.push.u[s::REDUCE_SUM] = loss.sum ? 1u : 0u;
    for (int k = 0; k < LOSS_PARAM_SLOTS; ++k) {
        call.push.f[s::LOSS_P0 + uint32_t(k)] = loss.params.p[k];
    }
    call.push.u[s::Y_OFF] = y_off;
    call.push.u[s::Z_OFF] = z_off;
    call.push.u[s::T_OFF] = t_off;
    call.push.u[s::G_OFF] = g_off;
    call.push.u[s::LOSS_OFF] = loss_off;
    call.push.u[s::ROWS] = rows;
    call.push.u[s::COLS] = cols;
    return call;
}

KernelCall act_backward(Activation act, const ActParams& params, uint32_t g_off, uint32_t z_off, uint32_t y_off,
                        uint32_t out_off, uint32_t count, bool accumulate) {
    namespace s = slot::act_backward;
    KernelCall call = make(act_backward_variant(act), stride_groups(count, s::WORKGROUP_X));
    call.push.u[s::G_OFF] = g_off;
    call.push.u[s::Z_OFF] = z_off;
    call.push.u[s::Y_OFF] = y_off;
    call.push.u[s::OUT_OFF] = out_off;
    call.push.u[s::COUNT] = count;
    call.push.u[s::ACCUMULATE] = accumulate ? 1u : 0u;
    set_act_params(&call, s::ACT_P0, params);
    return call;
}

KernelCall softmax_backward(uint32_t g_off, uint32_t y_off, uint32_t out_off, uint32_t rows, uint32_t cols,
                            bool accumulate) {
    return row_backward(Activation::SOFTMAX, g_off, y_off, out_off, rows, cols, accumulate);
}

KernelCall row_backward(Activation act, uint32_t g_off, uint32_t y_off, uint32_t out_off, uint32_t rows,
                        uint32_t cols, bool accumulate) {
    namespace s = slot::softmax_backward;
    KernelCall call = make(row_backward_variant(act), stride_groups(rows, s::WORKGROUP_X));
    call.push.u[s::G_OFF] = g_off;
    call.push.u[s::Y_OFF] = y_off;
    call.push.u[s::OUT_OFF] = out_off;
    call.push.u[s::ROWS] = rows;
    call.push.u[s::COLS] = cols;
    call.push.u[s::ACCUMULATE] = accumulate ? 1u : 0u;
    return call;
}

KernelCall weight_grad(uint32_t g_off, uint32_t x_off, uint32_t dw_off, uint32_t M, uint32_t N, uint32_t K,
                       bool accumulate) {
    // C = dW (N x K), A' = G^T (G stored M x N), B' = X (M x K), inner = M.
    const bool big = gemm_big(N, K);
    return gemm(weight_grad_variant(big), g_off, x_off, dw_off, N, K, M, big, accumulate);
}

KernelCall bias_grad(uint32_t g_off, uint32_t db_off, uint32_t rows, uint32_t cols, bool accumulate) {
    namespace s = slot::bias_grad;
    KernelCall call = make(Kernel::BIAS_GRAD, stride_groups(cols, s::WORKGROUP_X));
    call.push.u[s::G_OFF] = g_off;
    call.push.u[s::DB_OFF] = db_off;
    call.push.u[s::ROWS] = rows;
    call.push.u[s::COLS] = cols;
    call.push.u[s::ACCUMULATE] = accumulate ? 1u : 0u;
    return call;
}

KernelCall dense_backward_input(Activation prev_act, const ActParams& params, uint32_t g_off, uint32_t w_off, uint32_t z_off,
                                uint32_t y_off, uint32_t out_off, uint32_t M, uint32_t N, uint32_t K,
                                bool accumulate) {
    // C = out (M x K), A' = G (M x N), B' = W (N x K), inner = N.
    namespace s = slot::gemm;
    const bool big = gemm_big(M, K);
    KernelCall call = gemm(dense_backward_input_variant(prev_act, big), g_off, w_off, out_off, M, K, N, big,
                           accumulate);
    call.push.u[s::Z_OFF] = z_off;
    call.push.u[s::Y_OFF] = y_off;
    set_act_params(&call, s::ACT_P0, params);
    return call;
}

KernelCall prelu_forward(uint32_t x_off, uint32_t w_off, uint32_t y_off, uint32_t rows, uint32_t cols,
                         bool shared) {
    namespace s = slot::prelu_forward;
    const uint64_t count = uint64_t(rows) * cols;
    KernelCall call = make(Kernel::PRELU_FORWARD, stride_groups(count, s::WORKGROUP_X));
    call.push.u[s::X_OFF] = x_off;
    call.push.u[s::W_OFF] = w_off;
    call.push.u[s::Y_OFF] = y_off;
    call.push.u[s::COUNT] = uint32_t(count);
    call.push.u[s::COLS] = cols;
    call.push.u[s::SHARED] = shared ? 1u : 0u;
    return call;
}

KernelCall prelu_backward_input(uint32_t g_off, uint32_t x_off, uint32_t w_off, uint32_t out_off, uint32_t rows,
                                uint32_t cols, bool shared, bool accumulate) {
    namespace s = slot::prelu_backward_input;
    const uint64_t count = uint64_t(rows) * cols;
    KernelCall call = make(Kernel::PRELU_BACKWARD_INPUT, stride_groups(count, s::WORKGROUP_X));
    call.push.u[s::G_OFF] = g_off;
    call.push.u[s::X_OFF] = x_off;
    call.push.u[s::W_OFF] = w_off;
    call.push.u[s::OUT_OFF] = out_off;
    call.push.u[s::COUNT] = uint32_t(count);
    call.push.u[s::COLS] = cols;
    call.push.u[s::SHARED] = shared ? 1u : 0u;
    call.push.u[s::ACCUMULATE] = accumulate ? 1u : 0u;
    return call;
}

KernelCall prelu_backward_param(uint32_t g_off, uint32_t x_off, uint32_t dw_off, uint32_t rows, uint32_t cols,
                                bool shared, bool accumulate) {
    namespace s = slot::prelu_backward_param;
    // One workgroup per slope, striding when there are more than MAX_GROUPS slopes.
    KernelCall call = make(Kernel::PRELU_BACKWARD_PARAM, uint32_t(std::clamp<uint64_t>(shared ? 1 : cols, 1,
                                                                                         MAX_GROUPS)));
    call.push.u[s::G_OFF] = g_off;
    call.push.u[s::X_OFF] = x_off;
    call.push.u[s::DW_OFF] = dw_off;
    call.push.u[s::ROWS] = rows;
    call.push.u[s::COLS] = cols;
    call.push.u[s::SHARED] = shared ? 1u : 0u;
    call.push.u[s::ACCUMULATE] = accumulate ? 1u : 0u;
    return call;
}

KernelCall fill(uint32_t off, uint32_t count, float value) {
    namespace s = slot::fill;
    KernelCall call = make(Kernel::FILL, stride_groups(count, s::WORKGROUP_X));
    call.push.u[s::OFF] = off;
    call.push.u[s::COUNT] = count;
    call.push.f[s::VALUE] = value;
    return call;
}

KernelCall add(uint32_t a_off, uint32_t b_off, uint32_t out_off, uint32_t count) {
    namespace s = slot::add;
    KernelCall call = make(Kernel::ADD, stride_groups(count, s::WORKGROUP_X));
    call.push.u[s::A_OFF] = a_off;
    call.push.u[s::B_OFF] = b_off;
    call.push.u[s::OUT_OFF] = out_off;
    call.push.u[s::COUNT] = count;
    return call;
}

KernelCall copy(uint32_t x_off, uint32_t out_off, uint32_t count, bool accumulate) {
    namespace s = slot::copy;
    KernelCall call = make(Kernel::COPY, stride_groups(count, s::WORKGROUP_X));
    call.push.u[s::X_OFF] = x_off;
    call.push.u[s::OUT_OFF] = out_off;
    call.push.u[s::COUNT] = count;
    call.push.u[s::ACCUMULATE] = accumulate ? 1u : 0u;
    return call;
}

namespace {

// Both dropout kernels: out (+)= mask(seed, i) * x[i] * scale. The scale is computed here, once, so that both
// backends multiply by the same float (GPU division may be approximate).
KernelCall dropout(Kernel kernel, uint32_t x_off, uint32_t out_off, uint32_t count, float p, uint64_t seed,
                   bool accumulate) {
    namespace s = slot::dropout;
    KernelCall call = make(kernel, stride_groups(count, s::WORKGROUP_X));
    call.push.u[s::X_OFF] = x_off;
    call.push.u[s::OUT_OFF] = out_off;
    call.push.u[s::COUNT] = count;
    call.push.u[s::SEED_LO] = uint32_t(seed);
    call.push.u[s::SEED_HI] = uint32_t(seed >> 32);
    call.push.u[s::ACCUMULATE] = accumulate ? 1u : 0u;
    call.push.f[s::DROP_PROB] = p;
    call.push.f[s::SCALE] = 1.0f / (1.0f - p);
    return call;
}

}  // namespace

KernelCall dropout_forward(uint32_t x_off, uint32_t y_off, uint32_t count, float p, uint64_t seed) {
    return dropout(Kernel::DROPOUT_FORWARD, x_off, y_off, count, p, seed, false);
}

KernelCall dropout_backward(uint32_t g_off, uint32_t out_off, uint32_t count, float p, uint64_t seed,
                            bool accumulate) {
    return dropout(Kernel::DROPOUT_BACKWARD, g_off, out_off, count, p, seed, accumulate);
}

KernelCall batchnorm_forward_train(uint32_t x_off, uint32_t gamma_off, uint32_t beta_off, uint32_t y_off,
                                   uint32_t mean_off, uint32_t invstd_off, uint32_t run_mean_off,
                                   uint32_t run_var_off, uint32_t rows, uint32_t cols, float eps, float momentum,
                                   bool affine) {
    namespace s = slot::batchnorm_forward_train;
    KernelCall call = make(Kernel::BATCHNORM_FORWARD_TRAIN, stride_groups(cols, s::WORKGROUP_X));
    call.push.u[s::X_OFF] = x_off;
    call.push.u[s::GAMMA_OFF] = gamma_off;
    call.push.u[s::BETA_OFF] = beta_off;
    call.push.u[s::Y_OFF] = y_off;
    call.push.u[s::MEAN_OFF] = mean_off;
    call.push.u[s::INVSTD_OFF] = invstd_off;
    call.push.u[s::RUN_MEAN_OFF] = run_mean_off;
    call.push.u[s::RUN_VAR_OFF] = run_var_off;
    call.push.u[s::ROWS] = rows;
    call.push.u[s::COLS] = cols;
    call.push.u[s::AFFINE] = affine ? 1u : 0u;
    call.push.f[s::EPS] = eps;
    call.push.f[s::MOMENTUM] = momentum;
    return call;
}

KernelCall batchnorm_forward_eval(uint32_t x_off, uint32_t gamma_off, uint32_t beta_off, uint32_t y_off,
                                  uint32_t run_mean_off, uint32_t run_var_off, uint32_t rows, uint32_t cols,
                                  float eps, bool affine) {
    namespace s = slot::batchnorm_forward_eval;
    KernelCall call = make(Kernel::BATCHNORM_FORWARD_EVAL, stride_groups(uint64_t(rows) * cols, s::WORKGROUP_X));
    call.push.u[s::X_OFF] = x_off;
    call.push.u[s::GAMMA_OFF] = gamma_off;
    call.push.u[s::BETA_OFF] = beta_off;
    call.push.u[s::Y_OFF] = y_off;
    call.push.u[s::RUN_MEAN_OFF] = run_mean_off;
    call.push.u[s::RUN_VAR_OFF] = run_var_off;
    call.push.u[s::ROWS] = rows;
    call.push.u[s::COLS] = cols;
    call.push.u[s::AFFINE] = affine ? 1u : 0u;
    call.push.f[s::EPS] = eps;
    return call;
}

KernelCall batchnorm_backward(uint32_t g_off, uint32_t x_off, uint32_t gamma_off, uint32_t mean_off,
                              uint32_t invstd_off, uint32_t dx_off, uint32_t dgamma_off, uint32_t dbeta_off,
                              uint32_t rows, uint32_t cols, bool affine, bool accumulate_dx,
                              bool accumulate_params) {
    namespace s = slot::batchnorm_backward;
    KernelCall call = make(Kernel::BATCHNORM_BACKWARD, stride_groups(cols, s::WORKGROUP_X));
    call.push.u[s::G_OFF] = g_off;
    call.push.u[s::X_OFF] = x_off;
    call.push.u[s::GAMMA_OFF] = gamma_off;
    call.push.u[s::MEAN_OFF] = mean_off;
    call.push.u[s::INVSTD_OFF] = invstd_off;
    call.push.u[s::DX_OFF] = dx_off;  // ~0u: no input gradient (the kernels test for it)
    call.push.u[s::DGAMMA_OFF] = dgamma_off;
    call.push.u[s::DBETA_OFF] = dbeta_off;
    call.push.u[s::ROWS] = rows;
    call.push.u[s::COLS] = cols;
    call.push.u[s::AFFINE] = affine ? 1u : 0u;
    call.push.u[s::ACCUMULATE_DX] = accumulate_dx ? 1u : 0u;
    call.push.u[s::ACCUMULATE_PARAMS] = accumulate_params ? 1u : 0u;
    return call;
}

KernelCall layernorm_forward(uint32_t x_off, uint32_t gamma_off, uint32_t beta_off, uint32_t y_off,
                             uint32_t mean_off, uint32_t rstd_off, uint32_t rows, uint32_t cols, float eps,
                             bool affine) {
    namespace s = slot::layernorm_forward;
    KernelCall call = make(Kernel::LAYERNORM_FORWARD, stride_groups(rows, s::WORKGROUP_X));
    call.push.u[s::X_OFF] = x_off;
    call.push.u[s::GAMMA_OFF] = gamma_off;
    call.push.u[s::BETA_OFF] = beta_off;
    call.push.u[s::Y_OFF] = y_off;
    call.push.u[s::MEAN_OFF] = mean_off;
    call.push.u[s::RSTD_OFF] = rstd_off;
    call.push.u[s::ROWS] = rows;
    call.push.u[s::COLS] = cols;
    call.push.u[s::AFFINE] = affine ? 1u : 0u;
    call.push.f[s::EPS] = eps;
    return call;
}

KernelCall layernorm_backward_input(uint32_t g_off, uint32_t x_off, uint32_t gamma_off, uint32_t mean_off,
                                    uint32_t rstd_off, uint32_t dx_off, uint32_t rows, uint32_t cols, bool affine,
                                    bool accumulate) {
    namespace s = slot::layernorm_backward_input;
    KernelCall call = make(Kernel::LAYERNORM_BACKWARD_INPUT, stride_groups(rows, s::WORKGROUP_X));
    call.push.u[s::G_OFF] = g_off;
    call.push.u[s::X_OFF] = x_off;
    call.push.u[s::GAMMA_OFF] = gamma_off;
    call.push.u[s::MEAN_OFF] = mean_off;
    call.push.u[s::RSTD_OFF] = rstd_off;
    call.push.u[s::DX_OFF] = dx_off;
    call.push.u[s::ROWS] = rows;
    call.push.u[s::COLS] = cols;
    call.push.u[s::AFFINE] = affine ? 1u : 0u;
    call.push.u[s::ACCUMULATE] = accumulate ? 1u : 0u;
    return call;
}

KernelCall layernorm_backward_params(uint32_t g_off, uint32_t x_off, uint32_t mean_off, uint32_t rstd_off,
                                     uint32_t dgamma_off, uint32_t dbeta_off, uint32_t rows, uint32_t cols,
                                     bool accumulate) {
    namespace s = slot::layernorm_backward_params;
    KernelCall call = make(Kernel::LAYERNORM_BACKWARD_PARAMS, stride_groups(cols, s::WORKGROUP_X));
    call.push.u[s::G_OFF] = g_off;
    call.push.u[s::X_OFF] = x_off;
    call.push.u[s::MEAN_OFF] = mean_off;
    call.push.u[s::RSTD_OFF] = rstd_off;
    call.push.u[s::DGAMMA_OFF] = dgamma_off;
    call.push.u[s::DBETA_OFF] = dbeta_off;
    call.push.u[s::ROWS] = rows;
    call.push.u[s::COLS] = cols;
    call.push.u[s::ACCUMULATE] = accumulate ? 1u : 0u;
    return call;
}

KernelCall grad_sumsq(uint32_t g_off, uint32_t count, uint32_t partial_off) {
    namespace s = slot::grad_sumsq;
    KernelCall call = make(Kernel::GRAD_SUMSQ, SUMSQ_PARTIALS);  // exactly SUMSQ_PARTIALS workgroups
    call.push.u[s::G_OFF] = g_off;
    call.push.u[s::COUNT] = count;
    call.push.u[s::PARTIAL_OFF] = partial_off;
    return call;
}

KernelCall optimizer_step(Optimizer opt, const OptimizerFloats& f, uint32_t p_off, uint32_t g_off, uint32_t s_off,
                          uint32_t s_stride, uint32_t count, uint32_t partial_off) {
    namespace s = slot::optimizer_step;
    KernelCall call = make(optimizer_step_variant(opt), stride_groups(count, s::WORKGROUP_X));
    call.push.u[s::P_OFF] = p_off;
    call.push.u[s::G_OFF] = g_off;
    call.push.u[s::S_OFF] = s_off;
    call.push.u[s::COUNT] = count;
    call.push.u[s::PARTIAL_OFF] = partial_off;
    call.push.u[s::S_STRIDE] = s_stride;
    static_assert(sizeof(f.f) == sizeof(call.push.f), "optimizer_floats fills the whole float block");
    std::copy(std::begin(f.f), std::end(f.f), std::begin(call.push.f));
    return call;
}

}  // namespace lk::kernels
