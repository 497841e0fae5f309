"""Shared harness of the CPU kernel tests (tests/test_kernels_*.py): the generated CPU kernels
(build/gen/kernels/cpu_kernels.cpp), called through the hand-written builders (core/kernel_builders.cpp), against
NumPy, entry by entry of the spec.

The generator runs into a temporary folder; g++ builds the generated C++ and the builders with a small
`extern "C"` wrapper into a shared library that ctypes loads. Every kernel family and every variant is checked
on awkward shapes (1, 7, 127, ~300), derivatives against central finite differences of the kernels' own
forward pass, extreme inputs for NaN/Inf, and the optimizers against NumPy re-implementations of the torch
formulas.

The NumPy references below are the hand-written half of the catalogue: adding an activation, loss, optimizer
or initializer to codegen/spec/*.yaml without adding its reference here fails test_every_entry_has_a_reference.
"""
from __future__ import annotations

import ctypes
import math
import os
import shutil
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "codegen"))

from activation_refs import ACT_REFS  # noqa: F401 (re-exported for the kernel tests)
from lk_codegen import catalogue, kernels
from loss_refs import LOSS_TORCH, TARGETS, torch_loss

F64 = np.ndarray
CAT = catalogue.load()
ACTS = [a.name for a in CAT.activations]
ELEMENTWISE = [a for a in CAT.activations if a.elementwise]
HYPER = [h.name for h in CAT.hyperparameters]
SHAPES = [(1, 1, 1), (7, 5, 3), (127, 7, 33), (3, 300, 127), (300, 127, 7), (64, 64, 16), (65, 129, 17)]


# ---- NumPy references (float64) ------------------------------------------------------------------------------

def _sigmoid(x: F64) -> F64:
    return np.exp(-np.logaddexp(0.0, -x))


def _softmax(z: F64) -> F64:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _logsumexp(z: F64) -> F64:
    m = z.max(axis=1, keepdims=True)
    return m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))


# The activations' reference table lives in tests/activation_refs.py (ACT_REFS, re-exported here).


def _log_floor(v: F64) -> F64:
    """torch BCELoss's log clamped at -100; the kernels also send float32 denormals to -100."""
    with np.errstate(divide="ignore"):
        return np.where(v >= np.finfo(np.float32).tiny, np.maximum(np.log(np.maximum(v, 1e-300)), -100.0), -100.0)


def _bce_value(y: F64, t: F64) -> F64:
    return -(t * _log_floor(y)
             + (1.0 - t) * _log_floor(1.0 - y))


# loss name -> (generic(y, t) -> (mean loss, dL/dy), fused(z, t) -> (mean loss, dL/dz)); torch's formulas.
LOSS_REFS: dict[str, tuple[Callable[[F64, F64], tuple[float, F64]], Callable[[F64, F64], tuple[float, F64]]]] = {
    "mse": (lambda y, t: (np.mean((y - t) ** 2), 2.0 * (y - t) / y.size),
            lambda z, t: (np.mean((z - t) ** 2), 2.0 * (z - t) / z.size)),
    "bce": (lambda y, t: (np.mean(_bce_value(y, t)), (y - t) / np.maximum(y * (1.0 - y), 1e-12) / y.size),
            lambda z, t: (np.mean(np.logaddexp(0.0, z) - z * t), (_sigmoid(z) - t) / z.size)),
    "cce": (lambda y, t: (-np.sum(t * np.log(np.maximum(y, 1e-7))) / y.shape[0],
                          -t / np.maximum(y, 1e-7) / y.shape[0]),
            lambda z, t: (-np.sum(t * (z - _logsumexp(z))) / z.shape[0], (_softmax(z) - t) / z.shape[0])),
}
LOSS_TARGETS = TARGETS


def _torch_pair(loss: catalogue.Loss) -> tuple[Callable[[F64, F64], tuple[float, F64]],
                                                Callable[[F64, F64], tuple[float, F64]]]:
    """LOSS_REFS's (generic, fused) for a loss at its defaults, from its torch reference (tests/loss_refs.py)."""
    def ref(fused: bool) -> Callable[[F64, F64], tuple[float, F64]]:
        return lambda x, t: torch_loss(loss.name, loss.link, loss.normalizer, x, t, loss.params, fused)
    return ref(False), ref(True)


# The entries after the first three: straight from torch (a missing LOSS_TORCH row fails only that loss's tests).
LOSS_REFS.update({x.name: _torch_pair(x) for x in CAT.losses if x.name not in LOSS_REFS and x.name in LOSS_TORCH})


def _lerp(a: F64, b: F64, w: float) -> F64:
    return a + w * (b - a)


def _sgd(p: F64, g: F64, state: list[F64], h: dict[str, float], t: int) -> None:
    g = g + h["weight_decay"] * p
    if h["momentum"] != 0.0:  # torch: buf = g on the first step, then momentum * buf + (1 - dampening) * g
        state[0][:] = g if t == 1 else h["momentum"] * state[0] + (1.0 - h["dampening"]) * g
        g = g + h["momentum"] * state[0] if h["nesterov"] else state[0]
    p -= h["lr"] * g


def _adam_core(p: F64, g: F64, state: list[F64], h: dict[str, float], t: int) -> None:
    m, v, vmax = state
    m[:] = _lerp(m, g, 1.0 - h["beta1"])
    v[:] = h["beta2"] * v + (1.0 - h["beta2"]) * g * g
    vmax[:] = np.maximum(vmax, v)
    bc1, bc2 = 1.0 - h["beta1"] ** t, 1.0 - h["beta2"] ** t
    p -= (h["lr"] / bc1) * m / (np.sqrt(vmax if h["amsgrad"] else v) / math.sqrt(bc2) + h["epsilon"])


def _adam(p: F64, g: F64, state: list[F64], h: dict[str, float], t: int) -> None:
    _adam_core(p, g + h["weight_decay"] * p, state, h, t)


def _adamw(p: F64, g: F64, state: list[F64], h: dict[str, float], t: int) -> None:
    p *= 1.0 - h["lr"] * h["weight_decay"]
    _adam_core(p, g, state, h, t)


def _adamax(p: F64, g: F64, state: list[F64], h: dict[str, float], t: int) -> None:
    g = g + h["weight_decay"] * p
    m, u = state
    m[:] = _lerp(m, g, 1.0 - h["beta1"])
    u[:] = np.maximum(u * h["beta2"], np.abs(g) + h["epsilon"])
    p -= h["lr"] / (1.0 - h["beta1"] ** t) * m / u


def _decay(p: F64, g: F64, h: dict[str, float]) -> F64:
    """NAdam / RAdam weight decay: decoupled (shrinks p) or coupled (returns g + wd * p)."""
    if h["decoupled_weight_decay"]:
        p *= 1.0 - h["lr"] * h["weight_decay"]
        return g
    return g + h["weight_decay"] * p


def _nadam(p: F64, g: F64, state: list[F64], h: dict[str, float], t: int) -> None:
    g = _decay(p, g, h)
    b1, psi = h["beta1"], h["momentum_decay"]
    mus = [b1 * (1.0 - 0.5 * 0.96 ** (i * psi)) for i in range(1, t + 2)]
    mu, mu_next, mu_product = mus[t - 1], mus[t], float(np.prod(mus[:t]))
    m, v = state
    m[:] = _lerp(m, g, 1.0 - b1)
    v[:] = h["beta2"] * v + (1.0 - h["beta2"]) * g * g
    denom = np.sqrt(v / (1.0 - h["beta2"] ** t)) + h["epsilon"]
    p -= h["lr"] * (1.0 - mu) / (1.0 - mu_product) * g / denom
    p -= h["lr"] * mu_next / (1.0 - mu_product * mu_next) * m / denom


def _radam(p: F64, g: F64, state: list[F64], h: dict[str, float], t: int) -> None:
    g = _decay(p, g, h)
    m, v = state
    m[:] = _lerp(m, g, 1.0 - h["beta1"])
    v[:] = h["beta2"] * v + (1.0 - h["beta2"]) * g * g
    bc1, bc2 = 1.0 - h["beta1"] ** t, 1.0 - h["beta2"] ** t
    rho_inf = 2.0 / (1.0 - h["beta2"]) - 1.0
    rho_t = rho_inf - 2.0 * t * h["beta2"] ** t / bc2
    if rho_t > 5.0:
        rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        p -= m / bc1 * h["lr"] * math.sqrt(bc2) / (np.sqrt(v) + h["epsilon"]) * rect
    else:
        p -= m / bc1 * h["lr"]


def _rmsprop(p: F64, g: F64, state: list[F64], h: dict[str, float], t: int) -> None:
    g = g + h["weight_decay"] * p
    sq, buf, gavg = state
    sq[:] = h["alpha"] * sq + (1.0 - h["alpha"]) * g * g
    if h["centered"]:
        gavg[:] = _lerp(gavg, g, 1.0 - h["alpha"])
        avg = np.sqrt(np.maximum(sq - gavg * gavg, 0.0)) + h["epsilon"]
    else:
        avg = np.sqrt(sq) + h["epsilon"]
    if h["momentum"] > 0:
        buf[:] = h["momentum"] * buf + g / avg
        p -= h["lr"] * buf
    else:
        p -= h["lr"] * g / avg


def _adagrad(p: F64, g: F64, state: list[F64], h: dict[str, float], t: int) -> None:
    g = g + h["weight_decay"] * p
    state[0][:] += g * g
    p -= h["lr"] / (1.0 + (t - 1) * h["lr_decay"]) * g / (np.sqrt(state[0]) + h["epsilon"])


def _adadelta(p: F64, g: F64, state: list[F64], h: dict[str, float], t: int) -> None:
    g = g + h["weight_decay"] * p
    sq, acc = state
    sq[:] = h["rho"] * sq + (1.0 - h["rho"]) * g * g
    delta = np.sqrt(acc + h["epsilon"]) / np.sqrt(sq + h["epsilon"]) * g
    acc[:] = h["rho"] * acc + (1.0 - h["rho"]) * delta * delta
    p -= h["lr"] * delta


def _lion(p: F64, g: F64, state: list[F64], h: dict[str, float], t: int) -> None:
    c = h["beta1"] * state[0] + (1.0 - h["beta1"]) * g
    p *= 1.0 - h["lr"] * h["weight_decay"]
    p -= h["lr"] * np.sign(c)
    state[0][:] = h["beta2"] * state[0] + (1.0 - h["beta2"]) * g


# optimizer name -> step(p, g, state, hyper, t) updating p and state in place (g already clipped). `state` holds
# all state_per_param states (those that do not exist for the hyperparameters stay unused), starting at the
# spec's state_init values.
OPT_REFS: dict[str, Callable[[F64, F64, list[F64], dict[str, float], int], None]] = {
    "sgd": _sgd, "adam": _adam, "adamw": _adamw, "adamax": _adamax, "nadam": _nadam, "radam": _radam,
    "rmsprop": _rmsprop, "adagrad": _adagrad, "adadelta": _adadelta, "lion": _lion}
# optimizer name -> hyperparameter settings the kernel tests cover (each on top of the spec's defaults): every
# flag and every state_if state on and off.
OPT_VARIANTS: dict[str, list[dict[str, float]]] = {
    "sgd": [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": 1.0}, {"momentum": 0.8, "dampening": 0.5}],
    "adam": [{}, {"amsgrad": 1.0}],
    "adamw": [{}, {"amsgrad": 1.0}],
    "adamax": [{}],
    "nadam": [{}, {"decoupled_weight_decay": 1.0}],
    "radam": [{}, {"decoupled_weight_decay": 1.0}],
    "rmsprop": [{}, {"momentum": 0.9}, {"centered": 1.0}, {"momentum": 0.5, "centered": 1.0}],
    "adagrad": [{}, {"lr_decay": 0.1, "initial_accumulator_value": 0.5}],
    "adadelta": [{}],
    "lion": [{}],
}


def act_params(act: str | catalogue.Activation, values: dict[str, float] | None = None) -> np.ndarray:
    """The ActParams of an activation for the w_* wrappers: its spec defaults, overridden by `values`."""
    entry = CAT.activation(act) if isinstance(act, str) else act
    merged = {**entry.params, **(values or {})}
    out = np.zeros(catalogue.ACT_PARAM_SLOTS, np.float32)
    for k, name in enumerate(entry.params):
        out[k] = merged[name]
    return out


NO_PARAMS = np.zeros(catalogue.ACT_PARAM_SLOTS, np.float32)


# ---- Building and calling the generated library -----------------------------------------------------------

WRAPPER = r"""
#include <cstdio>
#include "core/kernel_builders.hpp"
#include "kernels/initializers.hpp"
using namespace lk;
static KernelCall last;
static void go(const KernelCall& c, float* a, uint32_t* ia) { last = c; run_cpu(c, a, ia); }
static void to_array(const OptimizerHyper& h, float* out) { HYPER_TO_ARRAY }
extern "C" {
void w_last(uint32_t* out) { out[0] = uint32_t(last.kernel); for (int i = 0; i < 3; ++i) out[1 + i] = last.groups[i]; }
int w_count(int which) { const int c[5] = {ACTIVATION_COUNT, LOSS_COUNT, OPTIMIZER_COUNT, INIT_COUNT, int(KERNEL_COUNT)}; return c[which]; }
uint32_t w_sumsq_partials() { return SUMSQ_PARTIALS; }
const char* w_kernel_name(uint32_t k) { return kernel_info(Kernel(k)).name; }
const char* w_kernel_glsl(uint32_t k) { return kernel_info(Kernel(k)).glsl_source; }
const char* w_act_name(int i) { return activation_info(Activation(i)).name; }
const char* w_act_enum(int i) { return activation_info(Activation(i)).enum_name; }
int w_act_elementwise(int i) { return activation_info(Activation(i)).elementwise; }
float w_act_alpha(int i) { return activation_info(Activation(i)).default_alpha; }
int w_act_params(int i, float* defaults) { const ActivationInfo& a = activation_info(Activation(i)); for (int k = 0; k < ACT_PARAM_SLOTS; ++k) defaults[k] = a.defaults.p[k]; return a.param_count; }
const char* w_act_param_name(int i, int k) { return activation_info(Activation(i)).param_names[k]; }
static ActParams act_params(const float* p) { ActParams a; for (int k = 0; k < ACT_PARAM_SLOTS; ++k) a.p[k] = p[k]; return a; }
int w_act_from_name(const char* n) { Activation a; return activation_from_name(n, &a) ? int(a) : -1; }
const char* w_loss_name(int i) { return loss_info(Loss(i)).name; }
int w_loss_link(int i) { return int(loss_info(Loss(i)).fused_activation); }
int w_loss_from_name(const char* n) { Loss x; return loss_from_name(n, &x) ? int(x) : -1; }
const char* w_opt_name(int i) { return optimizer_info(Optimizer(i)).name; }
uint32_t w_opt_state(int i) { return optimizer_info(Optimizer(i)).state_per_param; }
void w_opt_defaults(int i, float* out) { to_array(optimizer_info(Optimizer(i)).defaults, out); }
void w_hyper_defaults(float* out) { to_array(OptimizerHyper{}, out); }
int w_opt_from_name(const char* n) { Optimizer x; return optimizer_from_name(n, &x) ? int(x) : -1; }
const char* w_init_name(int i) { return init_info(Init(i)).name; }
int w_init_from_name(const char* n) { Init x; return init_from_name(n, &x) ? int(x) : -1; }
// The default parameters' weight (or bias) distribution: its InitDist, and its two numbers in out.
int w_init_draw(int i, uint32_t fi, uint32_t fo, int bias, double* out) {
    const InitSpec s = init_defaults(Init(i));
    const InitDraw d = bias ? init_bias_draw(s, fi, fo) : init_weight_draw(s, fi, fo);
    out[0] = d.a; out[1] = d.b; return int(d.dist);
}
float w_act_forward(int i, float x, const float* p) { return activation_forward(Activation(i), x, act_params(p)); }
float w_act_derivative(int i, float x, float y, const float* p) { return activation_derivative(Activation(i), x, y, act_params(p)); }

void w_gather_rows(float* a, uint32_t* ia, uint32_t src, uint32_t dst, uint32_t idx, uint32_t start, uint32_t rows, uint32_t len) { go(kernels::gather_rows(src, dst, idx, start, rows, len), a, ia); }
void w_dense_forward(float* a, int act, const float* p, uint32_t x, uint32_t w, uint32_t b, uint32_t z, uint32_t y, uint32_t M, uint32_t N, uint32_t K) { go(kernels::dense_forward(Activation(act), act_params(p), x, w, b, z, y, M, N, K), a, nullptr); }
void w_softmax_rows(float* a, uint32_t z, uint32_t y, uint32_t rows, uint32_t cols) { go(kernels::softmax_rows(z, y, rows, cols), a, nullptr); }
void w_row_forward(float* a, int act, uint32_t z, uint32_t y, uint32_t rows, uint32_t cols) { go(kernels::row_forward(Activation(act), z, y, rows, cols), a, nullptr); }
void w_row_backward(float* a, int act, uint32_t g, uint32_t y, uint32_t out, uint32_t rows, uint32_t cols, int acc) { go(kernels::row_backward(Activation(act), g, y, out, rows, cols, acc != 0), a, nullptr); }
void w_prelu_forward(float* a, uint32_t x, uint32_t w, uint32_t y, uint32_t rows, uint32_t cols, int shared) { go(kernels::prelu_forward(x, w, y, rows, cols, shared != 0), a, nullptr); }
void w_prelu_backward_input(float* a, uint32_t g, uint32_t x, uint32_t w, uint32_t out, uint32_t rows, uint32_t cols, int shared, int acc) { go(kernels::prelu_backward_input(g, x, w, out, rows, cols, shared != 0, acc != 0), a, nullptr); }
void w_prelu_backward_param(float* a, uint32_t g, uint32_t x, uint32_t dw, uint32_t rows, uint32_t cols, int shared, int acc) { go(kernels::prelu_backward_param(g, x, dw, rows, cols, shared != 0, acc != 0), a, nullptr); }
void w_loss(float* a, int loss, int fused, uint32_t y, uint32_t z, uint32_t t, uint32_t g, uint32_t l, uint32_t rows, uint32_t cols) { go(kernels::loss(Loss(loss), fused != 0, y, z, t, g, l, rows, cols), a, nullptr); }
void w_loss_p(float* a, int loss, int fused, uint32_t y, uint32_t z, uint32_t t, uint32_t g, uint32_t l, uint32_t rows, uint32_t cols, const float* params, int sum) { LossSetup s{Loss(loss)}; for (int k = 0; k < LOSS_PARAM_SLOTS; ++k) s.params.p[k] = params[k]; s.sum = sum != 0; go(kernels::loss(s, fused != 0, y, z, t, g, l, rows, cols), a, nullptr); }
int w_loss_params(int i, float* out) { const LossInfo& x = loss_info(Loss(i)); for (int k = 0; k < LOSS_PARAM_SLOTS; ++k) out[k] = x.defaults.p[k]; return x.param_count; }
const char* w_loss_targets(int i) { return loss_info(Loss(i)).targets; }
void w_act_forward_kernel(float* a, int act, const float* p, uint32_t x, uint32_t y, uint32_t count) { go(kernels::act_forward(Activation(act), act_params(p), x, y, count), a, nullptr); }
void w_act_backward(float* a, int act, const float* p, uint32_t g, uint32_t z, uint32_t y, uint32_t out, uint32_t count, int acc) { go(kernels::act_backward(Activation(act), act_params(p), g, z, y, out, count, acc != 0), a, nullptr); }
void w_softmax_backward(float* a, uint32_t g, uint32_t y, uint32_t out, uint32_t rows, uint32_t cols, int acc) { go(kernels::softmax_backward(g, y, out, rows, cols, acc != 0), a, nullptr); }
void w_weight_grad(float* a, uint32_t g, uint32_t x, uint32_t dw, uint32_t M, uint32_t N, uint32_t K, int acc) { go(kernels::weight_grad(g, x, dw, M, N, K, acc != 0), a, nullptr); }
void w_bias_grad(float* a, uint32_t g, uint32_t db, uint32_t rows, uint32_t cols, int acc) { go(kernels::bias_grad(g, db, rows, cols, acc != 0), a, nullptr); }
void w_dense_backward_input(float* a, int act, const float* p, uint32_t g, uint32_t w, uint32_t z, uint32_t y, uint32_t out, uint32_t M, uint32_t N, uint32_t K, int acc) { go(kernels::dense_backward_input(Activation(act), act_params(p), g, w, z, y, out, M, N, K, acc != 0), a, nullptr); }
void w_fill(float* a, uint32_t off, uint32_t count, float value) { go(kernels::fill(off, count, value), a, nullptr); }
void w_add(float* a, uint32_t x, uint32_t y, uint32_t out, uint32_t count) { go(kernels::add(x, y, out, count), a, nullptr); }
void w_copy(float* a, uint32_t x, uint32_t out, uint32_t count, int acc) { go(kernels::copy(x, out, count, acc != 0), a, nullptr); }
void w_dropout_forward(float* a, uint32_t x, uint32_t y, uint32_t count, float p, uint64_t seed) { go(kernels::dropout_forward(x, y, count, p, seed), a, nullptr); }
void w_dropout_backward(float* a, uint32_t g, uint32_t out, uint32_t count, float p, uint64_t seed, int acc) { go(kernels::dropout_backward(g, out, count, p, seed, acc != 0), a, nullptr); }
void w_batchnorm_forward_train(float* a, uint32_t x, uint32_t gamma, uint32_t beta, uint32_t y, uint32_t mean, uint32_t invstd, uint32_t rm, uint32_t rv, uint32_t rows, uint32_t cols, float eps, float momentum, int affine) { go(kernels::batchnorm_forward_train(x, gamma, beta, y, mean, invstd, rm, rv, rows, cols, eps, momentum, affine != 0), a, nullptr); }
void w_batchnorm_forward_eval(float* a, uint32_t x, uint32_t gamma, uint32_t beta, uint32_t y, uint32_t rm, uint32_t rv, uint32_t rows, uint32_t cols, float eps, int affine) { go(kernels::batchnorm_forward_eval(x, gamma, beta, y, rm, rv, rows, cols, eps, affine != 0), a, nullptr); }
void w_batchnorm_backward(float* a, uint32_t g, uint32_t x, uint32_t gamma, uint32_t mean, uint32_t invstd, uint32_t dx, uint32_t dgamma, uint32_t dbeta, uint32_t rows, uint32_t cols, int affine, int acc_dx, int acc_params) { go(kernels::batchnorm_backward(g, x, gamma, mean, invstd, dx, dgamma, dbeta, rows, cols, affine != 0, acc_dx != 0, acc_params != 0), a, nullptr); }
void w_layernorm_forward(float* a, uint32_t x, uint32_t gamma, uint32_t beta, uint32_t y, uint32_t mean, uint32_t rstd, uint32_t rows, uint32_t cols, float eps, int affine) { go(kernels::layernorm_forward(x, gamma, beta, y, mean, rstd, rows, cols, eps, affine != 0), a, nullptr); }
void w_layernorm_backward_input(float* a, uint32_t g, uint32_t x, uint32_t gamma, uint32_t mean, uint32_t rstd, uint32_t dx, uint32_t rows, uint32_t cols, int affine, int acc) { go(kernels::layernorm_backward_input(g, x, gamma, mean, rstd, dx, rows, cols, affine != 0, acc != 0), a, nullptr); }
void w_layernorm_backward_params(float* a, uint32_t g, uint32_t x, uint32_t mean, uint32_t rstd, uint32_t dgamma, uint32_t dbeta, uint32_t rows, uint32_t cols, int acc) { go(kernels::layernorm_backward_params(g, x, mean, rstd, dgamma, dbeta, rows, cols, acc != 0), a, nullptr); }
void w_grad_sumsq(float* a, uint32_t g, uint32_t count, uint32_t partial) { go(kernels::grad_sumsq(g, count, partial), a, nullptr); }
void w_optimizer_step(float* a, int opt, const float* hyper, uint64_t t, double* carried, uint32_t p, uint32_t g, uint32_t s, uint32_t stride, uint32_t count, uint32_t partial) {
    OptimizerHyper h; HYPER_FROM_ARRAY
    if (t == 1) optimizer_carried_reset(Optimizer(opt), h, carried);
    optimizer_carried_advance(Optimizer(opt), h, t, carried);
    go(kernels::optimizer_step(Optimizer(opt), optimizer_floats(Optimizer(opt), h, t, carried), p, g, s, stride, count, partial), a, nullptr);
}
uint32_t w_opt_state_count(int opt, const float* hyper) { OptimizerHyper h; HYPER_FROM_ARRAY return optimizer_state_count(Optimizer(opt), h); }
void w_opt_state_initial(int opt, const float* hyper, float* out) { OptimizerHyper h; HYPER_FROM_ARRAY optimizer_state_initial(Optimizer(opt), h, out); }
int w_check_hyper(int opt, const float* hyper, char* out, int n) { OptimizerHyper h; HYPER_FROM_ARRAY std::string e = check_hyperparameters(Optimizer(opt), h); snprintf(out, n, "%s", e.c_str()); return int(e.size()); }
}
"""

_SIGNATURES = {  # name -> (restype, argtypes); P = float*, U = uint32 array, u = uint32, i = int, f = float,
    # q = uint64, s = C string
    "w_last": (None, "U"), "w_count": ("i", "i"), "w_sumsq_partials": ("u", ""),
    "w_kernel_name": ("s", "u"), "w_kernel_glsl": ("s", "u"),
    "w_act_name": ("s", "i"), "w_act_enum": ("s", "i"), "w_act_elementwise": ("i", "i"), "w_act_alpha": ("f", "i"),
    "w_act_from_name": ("i", "s"), "w_loss_name": ("s", "i"), "w_loss_link": ("i", "i"),
    "w_loss_from_name": ("i", "s"), "w_opt_name": ("s", "i"), "w_opt_state": ("u", "i"),
    "w_opt_defaults": (None, "iP"), "w_hyper_defaults": (None, "P"), "w_opt_from_name": ("i", "s"),
    "w_init_name": ("s", "i"), "w_init_from_name": ("i", "s"),
    "w_init_draw": ("i", "iuuiD"), "w_act_forward": ("f", "ifP"), "w_act_derivative": ("f", "iffP"),
    "w_act_params": ("i", "iP"), "w_act_param_name": ("s", "ii"),
    "w_row_forward": (None, "Piuuuu"), "w_row_backward": (None, "Piuuuuui"),
    "w_prelu_forward": (None, "Puuuuui"), "w_prelu_backward_input": (None, "Puuuuuuii"),
    "w_prelu_backward_param": (None, "Puuuuuii"),
    "w_gather_rows": (None, "PUuuuuuu"), "w_dense_forward": (None, "PiPuuuuuuuu"),
    "w_softmax_rows": (None, "Puuuu"), "w_loss": (None, "Piiuuuuuuu"), "w_loss_p": (None, "PiiuuuuuuuPi"),
    "w_loss_params": ("i", "iP"), "w_loss_targets": ("s", "i"), "w_act_backward": (None, "PiPuuuuui"),
    "w_softmax_backward": (None, "Puuuuui"), "w_weight_grad": (None, "Puuuuuui"), "w_bias_grad": (None, "Puuuui"),
    "w_dense_backward_input": (None, "PiPuuuuuuuui"), "w_grad_sumsq": (None, "Puuu"),
    "w_act_forward_kernel": (None, "PiPuuu"), "w_fill": (None, "Puuf"), "w_add": (None, "Puuuu"),
    "w_copy": (None, "Puuui"), "w_dropout_forward": (None, "Puuufq"), "w_dropout_backward": (None, "Puuufqi"),
    "w_batchnorm_forward_train": (None, "Puuuuuuuuuuffi"), "w_batchnorm_forward_eval": (None, "Puuuuuuuufi"),
    "w_batchnorm_backward": (None, "Puuuuuuuuuuiii"), "w_layernorm_forward": (None, "Puuuuuuuufi"),
    "w_layernorm_backward_input": (None, "Puuuuuuuuii"), "w_layernorm_backward_params": (None, "Puuuuuuuui"),
    "w_optimizer_step": (None, "PiPqDuuuuuu"), "w_opt_state_count": ("u", "iP"), "w_opt_state_initial": (None, "iPP"),
    "w_check_hyper": ("i", "iPci"),
}
_CTYPES = {"P": np.ctypeslib.ndpointer(np.float32, flags="C_CONTIGUOUS"),
           "U": np.ctypeslib.ndpointer(np.uint32, flags="C_CONTIGUOUS"),
           "D": np.ctypeslib.ndpointer(np.float64, flags="C_CONTIGUOUS"), "c": ctypes.c_char_p,
           "u": ctypes.c_uint32, "q": ctypes.c_uint64, "i": ctypes.c_int, "f": ctypes.c_float, "s": ctypes.c_char_p,
           None: None}


# LEARNKIT_SANITIZE=address,undefined (set by tools/sanitize_run.sh, which also preloads libasan into pytest):
# the kernels are built instrumented, so an out-of-bounds read or undefined behaviour aborts the test run.
SANITIZE = [s for s in os.environ.get("LEARNKIT_SANITIZE", "").split(",") if s]
SANITIZE_FLAGS = [f"-fsanitize={','.join(SANITIZE)}", "-fno-omit-frame-pointer", "-g",
                  "-fno-sanitize-recover=all"] if SANITIZE else []


def _build(out: Path, name: str, defines: tuple[str, ...] = ()) -> ctypes.CDLL:
    """Compiles the generated kernels in `out` (a folder named kernels, as under build/gen) and the builders with
    the test wrapper into lib<name>.so and loads it."""
    gxx = shutil.which("g++")
    assert gxx, "g++ is required to build the generated CPU kernels"
    wrapper = WRAPPER.replace("HYPER_TO_ARRAY", " ".join(f"out[{i}] = h.{n};" for i, n in enumerate(HYPER)))
    wrapper = wrapper.replace("HYPER_FROM_ARRAY", " ".join(f"h.{n} = hyper[{i}];" for i, n in enumerate(HYPER)))
    (out / "wrapper.cpp").write_text(wrapper, encoding="utf-8")
    so = out / f"lib{name}.so"
    cmd = [gxx, "-O2", "-std=c++17", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror", *SANITIZE_FLAGS, *defines,
           f"-I{REPO / 'gdextension' / 'src'}", f"-I{out.parent}", str(out / "kernels.cpp"),
           str(out / "cpu_kernels.cpp"), str(out / "optimizer_host.cpp"), str(out / "initializers.cpp"), str(REPO / "gdextension" / "src" / "core" / "kernel_builders.cpp"),
           str(out / "wrapper.cpp"), "-o", str(so)]
    # Not g++ itself under a preloaded sanitizer runtime (tools/sanitize_run.sh preloads it into pytest).
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    result = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    dll = ctypes.CDLL(str(so))
    for fn_name, (res, args) in _SIGNATURES.items():
        fn = getattr(dll, fn_name)
        fn.restype = _CTYPES[res] if res else None
        fn.argtypes = [_CTYPES[c] for c in args]
    return dll


@pytest.fixture(scope="session")
def gen_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generator's output, in a temporary folder named like build/gen/kernels (the builders include
    "kernels/kernel_slots.hpp")."""
    out = tmp_path_factory.mktemp("gen") / "kernels"
    written = kernels.generate(out)
    assert {p.name for p in written} >= {"kernels.hpp", "kernels.cpp", "cpu_kernels.cpp", "kernel_slots.hpp"}
    assert all(p.exists() for p in written)
    return out


@pytest.fixture(scope="session")
def lib(gen_dir: Path) -> ctypes.CDLL:
    """The generated kernels + wrapper, built with g++ -O2 (the SIMD GEMM path the CPU supports)."""
    return _build(gen_dir, "lk_test")


@pytest.fixture(scope="session")
def baseline_lib(gen_dir: Path) -> ctypes.CDLL:
    """The same, with the run-time AVX2 GEMM path compiled out (the SSE2 / portable path)."""
    return _build(gen_dir, "lk_test_baseline", ("-DLK_CPU_NO_AVX2",))


class Arena:
    """A float32 arena whose unused floats are NaN: any write outside an output shows up as a non-NaN gap,
    any output element a kernel forgot stays NaN."""

    GAP = 3

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.offsets: list[int] = []
        self.size = self.GAP
        self.outputs: list[tuple[int, int]] = []
        self.data = np.zeros(0, np.float32)

    def put(self, values: np.ndarray) -> int:
        """Places values (any shape, row-major) and returns their offset."""
        off = self.size
        self.parts.append(np.asarray(values, np.float32).ravel())
        self.offsets.append(off)
        self.size += self.parts[-1].size + self.GAP
        return off

    def out(self, n: int) -> int:
        """Reserves n NaN floats for an output."""
        off = self.put(np.full(n, np.nan, np.float32))
        self.outputs.append((off, n))
        return off

    def build(self) -> np.ndarray:
        self.data = np.full(self.size, np.nan, np.float32)
        for off, part in zip(self.offsets, self.parts):
            self.data[off:off + part.size] = part
        return self.data

    def get(self, off: int, shape: tuple[int, ...] | int) -> np.ndarray:
        n = int(np.prod(shape))
        return self.data[off:off + n].astype(np.float64).reshape(shape)

    def check_gaps(self) -> None:
        used = np.zeros(self.size, bool)
        for off, part in zip(self.offsets, self.parts):
            used[off:off + part.size] = True
        assert np.isnan(self.data[~used]).all(), "a kernel wrote outside its output"
        for off, n in self.outputs:
            assert not np.isnan(self.data[off:off + n]).any(), "a kernel left part of its output unwritten"


def _last(lib: ctypes.CDLL) -> tuple[str, tuple[int, int, int]]:
    out = np.zeros(4, np.uint32)
    lib.w_last(out)
    return lib.w_kernel_name(int(out[0])).decode(), (int(out[1]), int(out[2]), int(out[3]))


def _close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> None:
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _rng(*key: object) -> np.random.Generator:
    """A generator seeded by the test's own key: reproducible, independent between tests."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))
