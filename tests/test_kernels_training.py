"""CPU kernels of training against NumPy and torch: losses (values, gradients, finite differences, fused vs
generic), gradient clipping and the optimizers. Harness: tests/kernel_harness.py."""
from __future__ import annotations

import ctypes
import math

import numpy as np
import pytest
from kernel_harness import (
    ACT_REFS,
    ACTS,
    CAT,
    F64,
    HYPER,
    LOSS_REFS,
    LOSS_TARGETS,
    OPT_REFS,
    OPT_VARIANTS,
    Arena,
    _close,
    _last,
    _rng,
    act_params,
    catalogue,
    kernels,
)

# ---- Losses -------------------------------------------------------------------------------------------------

def _loss_inputs(loss: catalogue.Loss, shape: tuple[int, int], seed: object,
                 scale: float = 2.0) -> tuple[F64, F64, F64]:
    """(z, y = link(z), t) with moderate z."""
    rng = _rng("loss", loss.name, shape, seed)
    z = rng.normal(scale=scale, size=shape)
    y = ACT_REFS[loss.link].forward(z, CAT.activation(loss.link).params)
    return z, y, LOSS_TARGETS[loss.targets](rng, shape)


def _run_loss(lib: ctypes.CDLL, loss: catalogue.Loss, fused: bool, z: F64, y: F64, t: F64,
              in_place: bool = False) -> tuple[float, F64]:
    rows, cols = z.shape
    a = Arena()
    zo, yo, to = a.put(z), a.put(y), a.put(t)
    g = yo if in_place else a.out(z.size)
    lo = a.out(1)
    data = a.build()
    lib.w_loss(data, [x.name for x in CAT.losses].index(loss.name), int(fused), yo, zo, to, g, lo, rows, cols)
    assert _last(lib) == (f"loss_{loss.name}" + ("_fused" if fused else ""), (1, 1, 1))
    if not in_place:
        a.check_gaps()
    return float(a.get(lo, 1)[0]), a.get(g, z.shape)


@pytest.mark.parametrize("fused", [False, True], ids=["generic", "fused"])
@pytest.mark.parametrize("loss", CAT.losses, ids=lambda x: x.name)
@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (127, 10), (300, 2), (2, 300)], ids=str)
def test_loss_value_and_gradient(lib: ctypes.CDLL, loss: catalogue.Loss, fused: bool,
                                 shape: tuple[int, int]) -> None:
    z, y, t = _loss_inputs(loss, shape, "values")
    value, grad = _run_loss(lib, loss, fused, z, y, t)
    generic, fused_ref = LOSS_REFS[loss.name]
    want_value, want_grad = fused_ref(z, t) if fused else generic(y, t)
    tol = loss.tolerance
    assert value == pytest.approx(want_value, rel=tol.rtol * 10, abs=tol.atol * 10)
    _close(grad, want_grad, tol.rtol * 10, tol.atol)
    _, grad2 = _run_loss(lib, loss, fused, z, y, t, in_place=True)  # g aliases y
    _close(grad2, grad, 0, 0)


@pytest.mark.parametrize("fused", [False, True], ids=["generic", "fused"])
@pytest.mark.parametrize("loss", CAT.losses, ids=lambda x: x.name)
def test_loss_gradient_matches_finite_differences(lib: ctypes.CDLL, loss: catalogue.Loss, fused: bool) -> None:
    """The kernel's gradient against central differences of the kernel's own loss value: in y (generic) or in
    z through the link activation (fused)."""
    z, y, t = _loss_inputs(loss, (3, 4), "fd", scale=1.0)
    link = ACT_REFS[loss.link].forward
    alpha = CAT.activation(loss.link).params
    _, grad = _run_loss(lib, loss, fused, z, y, t)
    h = 1e-3
    fd = np.zeros_like(z)
    for i in np.ndindex(*z.shape):
        vals = []
        for sign in (1.0, -1.0):
            zp, yp = z.copy(), y.copy()
            if fused:
                zp[i] += sign * h
                yp = link(zp, alpha)
            else:
                yp[i] += sign * h
            vals.append(_run_loss(lib, loss, fused, zp, yp, t)[0])
        fd[i] = (vals[0] - vals[1]) / (2 * h)
    _close(grad, fd, 1e-2, 2e-3)


@pytest.mark.parametrize("loss", CAT.losses, ids=lambda x: x.name)
def test_fused_and_generic_losses_agree(lib: ctypes.CDLL, loss: catalogue.Loss) -> None:
    """Fused value = generic value on moderate inputs; fused gradient = generic gradient chained through the
    link activation (act_backward, or softmax_backward for the row-wise softmax)."""
    z, y, t = _loss_inputs(loss, (7, 5), "agree")
    v_generic, g_y = _run_loss(lib, loss, False, z, y, t)
    v_fused, g_z = _run_loss(lib, loss, True, z, y, t)
    assert v_fused == pytest.approx(v_generic, rel=1e-4, abs=1e-6)
    link = CAT.activation(loss.link)
    a = Arena()
    g, zo, yo = a.put(g_y), a.put(z), a.put(y)
    out = a.out(z.size)
    data = a.build()
    if link.elementwise:
        lib.w_act_backward(data, ACTS.index(link.name), act_params(link), g, zo, yo, out, z.size, 0)
    else:
        lib.w_row_backward(data, ACTS.index(link.name), g, yo, out, *z.shape, 0)
    _close(a.get(out, z.shape), g_z, 1e-4, 1e-6)


def test_losses_extreme_inputs_stay_finite(lib: ctypes.CDLL) -> None:
    for loss in CAT.losses:
        z = np.array([[-1000.0, 1000.0, 0.0], [100.0, -100.0, 50.0]])
        y = ACT_REFS[loss.link].forward(z, CAT.activation(loss.link).params)
        t = LOSS_TARGETS[loss.targets](_rng("extreme", loss.name), z.shape)
        for fused in (False, True):
            value, grad = _run_loss(lib, loss, fused, z, y, t)
            want_value, want_grad = LOSS_REFS[loss.name][1](z, t)
            if not abs(want_value) < float(np.finfo(np.float32).max) / z.size:  # poisson_nll's exp(1000): not finite
                continue
            assert math.isfinite(value) and np.isfinite(grad).all(), (loss.name, fused, value, grad)
            if fused:
                assert value == pytest.approx(want_value, rel=1e-5)
                _close(grad, want_grad, 1e-5, 1e-6)


# ---- Gradient clipping and optimizers -----------------------------------------------------------------------

def test_grad_sumsq_partials(lib: ctypes.CDLL) -> None:
    parts = kernels.SUMSQ_PARTIALS
    for count in (1, 7, 127, 300, 256 * parts + 5, 3 * 256 * parts + 300):
        gs = _rng("sumsq", count).normal(size=count)
        a = Arena()
        g, p = a.put(gs), a.out(parts)
        data = a.build()
        lib.w_grad_sumsq(data, g, count, p)
        assert _last(lib) == ("grad_sumsq", (parts, 1, 1))
        a.check_gaps()
        padded = np.concatenate([gs, np.zeros(-count % (256 * parts))]) ** 2
        want = padded.reshape(-1, parts, 256).sum(axis=(0, 2))  # chunk c of 256 -> partial c % P
        _close(a.get(p, parts), want, 1e-5, 1e-6)


def _hyper(opt: catalogue.Optimizer, **overrides: float) -> dict[str, float]:
    return {**opt.defaults, **overrides}


def _hyper_array(h: dict[str, float]) -> np.ndarray:
    return np.array([h[name] for name in HYPER], np.float32)


def _variants() -> list[tuple[catalogue.Optimizer, dict[str, float]]]:
    return [(o, v) for o in CAT.optimizers for v in OPT_VARIANTS[o.name]]


def _variant_id(case: tuple[catalogue.Optimizer, dict[str, float]]) -> str:
    opt, v = case
    return "-".join([opt.name, *(f"{k}={v[k]:g}" for k in sorted(v))])


def _existing(opt: catalogue.Optimizer, h: dict[str, float]) -> list[int]:
    """The states that exist for these hyperparameters, in layout order (spec `state_if`)."""
    return [k for k in range(opt.state_per_param) if k not in opt.state_if or h[opt.state_if[k]] != 0.0]


@pytest.mark.parametrize("max_norm", [0.0, 0.5, 1e6], ids=["no_clip", "clip", "clip_inactive"])
@pytest.mark.parametrize("case", _variants(), ids=_variant_id)
def test_optimizer_steps(lib: ctypes.CDLL, case: tuple[catalogue.Optimizer, dict[str, float]],
                         max_norm: float) -> None:
    """Three steps on awkward counts against the NumPy (torch-formula) reference, with weight decay, every
    flag on and off, and gradient clipping by global norm through grad_sumsq. The parameters are a slice of a
    longer block (state stride != count), as a parameter group is."""
    opt, variant = case
    idx = [o.name for o in CAT.optimizers].index(opt.name)
    for count in (1, 7, 127, 300):
        rng = _rng("opt", opt.name, sorted(variant.items()), count, max_norm)
        h = _hyper(opt, lr=0.05, weight_decay=0.01, max_norm=max_norm, **variant)
        existing = _existing(opt, h)
        assert lib.w_opt_state_count(idx, _hyper_array(h)) == len(existing)
        initial = np.zeros(max(1, opt.state_per_param), np.float32)
        lib.w_opt_state_initial(idx, _hyper_array(h), initial)
        p_ref = rng.normal(size=count).astype(np.float32).astype(np.float64)
        states_ref = [np.full(count, h[opt.state_init[k]] if k in opt.state_init else 0.0)
                      for k in range(opt.state_per_param)]
        stride = count + 5  # the block is longer than the run: state j of parameter i at s + j * stride + i
        a = Arena()
        p = a.put(p_ref)
        g = a.put(np.zeros(count))
        s = a.put(np.concatenate([np.concatenate([np.full(count, initial[j]), np.full(5, -7.0)])
                                  for j in range(len(existing))] or [np.zeros(1)]))
        parts = a.put(np.zeros(kernels.SUMSQ_PARTIALS))
        data = a.build()
        carried = np.zeros(8)
        for step in range(1, 4):
            grad = rng.normal(size=count) * 3.0
            data[g:g + count] = grad
            grad = grad.astype(np.float32).astype(np.float64)
            if max_norm > 0.0:
                lib.w_grad_sumsq(data, g, count, parts)
                grad = grad * min(1.0, max_norm / (np.linalg.norm(grad) + 1e-6))
            lib.w_optimizer_step(data, idx, _hyper_array(h), step, carried, p, g, s, stride, count, parts)
            assert _last(lib) == (f"optimizer_step_{opt.name}", (-(-count // 256), 1, 1))
            before = p_ref.copy()
            OPT_REFS[opt.name](p_ref, grad, states_ref, h, step)
            # float32 p - delta rounds relative to its operands, not to a result that cancels to near 0
            # (RMSprop's first steps move p by ~lr * 10 whatever g's size): 1e-5 of |p before| + |p after|.
            err = np.abs(a.get(p, count) - p_ref)
            assert (err <= 1e-5 * (np.abs(before) + np.abs(p_ref)) + 1e-6).all(), f"step {step}: {err.max()}"
            for j, k in enumerate(existing):
                # same rounding model: 1e-6 of the state's own scale absolute (RMSprop's buffer sums +-10s)
                _close(a.get(s + j * stride, count), states_ref[k], 1e-5, 1e-6 * max(1.0, np.abs(states_ref[k]).max()))
                assert (a.get(s + j * stride + count, 5) == -7.0).all(), "a run wrote past its slice of a state"
        a.check_gaps()


def test_optimizer_checks(lib: ctypes.CDLL) -> None:
    """Ranges and spec checks name the hyperparameter, the range and the value."""
    out = ctypes.create_string_buffer(256)
    sgd = [o.name for o in CAT.optimizers].index("sgd")
    h = _hyper(CAT.optimizers[sgd], nesterov=1.0)
    assert lib.w_check_hyper(sgd, _hyper_array(h), out, 256) > 0 and b"Nesterov" in out.value
    h = _hyper(CAT.optimizers[sgd], momentum=1.5)
    assert lib.w_check_hyper(sgd, _hyper_array(h), out, 256) > 0 and out.value == b"momentum must be in [0, 1), got 1.5"
    adam = [o.name for o in CAT.optimizers].index("adam")
    h = _hyper(CAT.optimizers[adam], amsgrad=0.5)
    assert lib.w_check_hyper(adam, _hyper_array(h), out, 256) > 0 and b"amsgrad must be 0 or 1" in out.value
    for opt in CAT.optimizers:
        i = [o.name for o in CAT.optimizers].index(opt.name)
        assert lib.w_check_hyper(i, _hyper_array(opt.defaults), out, 256) == 0, (opt.name, out.value)


@pytest.mark.parametrize("case", _variants(), ids=_variant_id)
def test_optimizers_match_torch(lib: ctypes.CDLL, case: tuple[catalogue.Optimizer, dict[str, float]]) -> None:
    """100 steps of torch.optim.<Optimizer> (single-tensor code) with clip_grad_norm_, from the same gradients:
    the kernel's parameters stay within 1e-5 relative of torch's (float32 both)."""
    torch = pytest.importorskip("torch")
    from optim_torch import torch_optimizer

    opt, variant = case
    idx = [o.name for o in CAT.optimizers].index(opt.name)
    rng = _rng("torch", opt.name, sorted(variant.items()))
    n = 37
    p0 = rng.normal(size=n).astype(np.float32)
    param = torch.nn.Parameter(torch.tensor(p0))
    h = _hyper(opt, lr=opt.defaults["lr"], weight_decay=0.02, max_norm=1.0, **variant)
    h32 = {k: float(np.float32(v)) for k, v in h.items()}  # what the kernel sees
    topt = torch_optimizer(opt.name, [param], {k: h32[k] for k in opt.hyper})
    a = Arena()
    p, g = a.put(p0), a.put(np.zeros(n))
    s, parts = a.put(np.zeros(n * max(1, opt.state_per_param))), a.put(np.zeros(kernels.SUMSQ_PARTIALS))
    data = a.build()
    initial = np.zeros(max(1, opt.state_per_param), np.float32)
    lib.w_opt_state_initial(idx, _hyper_array(h), initial)
    for j in range(lib.w_opt_state_count(idx, _hyper_array(h))):
        data[s + j * n:s + (j + 1) * n] = initial[j]
    carried = np.zeros(8)
    for step in range(1, 101):
        grad = (rng.normal(size=n) * (1.0 + 0.5 * math.sin(step))).astype(np.float32)
        param.grad = torch.tensor(grad.copy())
        torch.nn.utils.clip_grad_norm_([param], h["max_norm"])
        topt.step()
        data[g:g + n] = grad
        lib.w_grad_sumsq(data, g, n, parts)
        lib.w_optimizer_step(data, idx, _hyper_array(h), step, carried, p, g, s, n, n, parts)
    want = param.detach().numpy().astype(np.float64)
    got = a.get(p, n)
    scale = np.abs(want).max()
    assert np.abs(got - want).max() <= 1e-5 * scale, (np.abs(got - want).max() / scale)


# Every loss against torch, with its parameters and reductions: tests/test_losses.py.
