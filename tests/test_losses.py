"""Every loss of codegen/spec/losses.yaml against its torch reference (tests/loss_refs.py), on the generated CPU
kernels through the ctypes harness (tests/kernel_harness.py): value and gradient (torch autograd, float64), generic
(dL/dy) and fused with the link activation (dL/dz), each parameter sample, reductions 'mean' and 'sum', awkward
sizes, and extreme inputs (no NaN or Inf where the true value is finite in float32)."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest
from kernel_harness import ACT_REFS, CAT, Arena, _close, _last, _rng, catalogue
from loss_refs import LOSS_PARAM_SAMPLES, LOSS_TORCH, TARGETS, torch_loss

LOSSES = [x.name for x in CAT.losses]


def _cases() -> list[tuple[catalogue.Loss, dict[str, float]]]:
    """Each loss at its defaults and at each of its parameter samples."""
    out = []
    for x in CAT.losses:
        for sample in [{}, *LOSS_PARAM_SAMPLES.get(x.name, [])]:
            out.append((x, {**x.params, **sample}))
    return out


def _case_id(case: tuple[catalogue.Loss, dict[str, float]]) -> str:
    x, p = case
    changed = [f"{k}={v:g}" for k, v in p.items() if v != x.params[k]]
    return "-".join([x.name, *changed])


def _inputs(x: catalogue.Loss, p: dict[str, float], shape: tuple[int, int], seed: object,
            scale: float = 2.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, y = link(z), t): t of the entry's target kind; z > 0 where the loss takes the log of y."""
    rng = _rng("losses", x.name, shape, seed)
    z = rng.normal(scale=scale, size=shape)
    if x.name == "poisson_nll" and not p["log_input"]:
        z = np.abs(z) + 0.1
    y = ACT_REFS[x.link].forward(z, CAT.activation(x.link).params)
    return z, y, TARGETS[x.targets](rng, shape)


def run(lib: ctypes.CDLL, x: catalogue.Loss, p: dict[str, float], fused: bool, reduction: str, z: np.ndarray,
        y: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
    """The kernel's (loss, gradient) for these settings."""
    rows, cols = z.shape
    a = Arena()
    zo, yo, to = a.put(z), a.put(y), a.put(t)
    g, lo = a.out(z.size), a.out(1)
    data = a.build()
    params = np.zeros(catalogue.LOSS_PARAM_SLOTS, np.float32)
    params[:len(p)] = list(p.values())
    lib.w_loss_p(data, LOSSES.index(x.name), int(fused), yo, zo, to, g, lo, rows, cols, params,
                 int(reduction == "sum"))
    assert _last(lib) == (f"loss_{x.name}" + ("_fused" if fused else ""), (1, 1, 1))
    a.check_gaps()
    return float(a.get(lo, 1)[0]), a.get(g, z.shape)


def test_every_loss_has_a_torch_reference() -> None:
    assert sorted(LOSS_TORCH) == sorted(LOSSES), "add the loss's torch reference to LOSS_TORCH (tests/loss_refs.py)"
    for name in LOSS_PARAM_SAMPLES:
        assert name in LOSSES


def test_loss_info_matches_the_spec(lib: ctypes.CDLL) -> None:
    """Parameter defaults and target kinds reach the C++ tables (LossInfo) in spec order."""
    for i, x in enumerate(CAT.losses):
        out = np.zeros(catalogue.LOSS_PARAM_SLOTS, np.float32)
        assert lib.w_loss_params(i, out) == len(x.params)
        np.testing.assert_array_equal(out[:len(x.params)], np.float32(list(x.params.values())))
        assert lib.w_loss_targets(i).decode() == x.targets


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("fused", [False, True], ids=["generic", "fused"])
@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (127, 10)], ids=str)
@pytest.mark.parametrize("case", _cases(), ids=_case_id)
def test_loss_matches_torch(lib: ctypes.CDLL, case: tuple[catalogue.Loss, dict[str, float]],
                            shape: tuple[int, int], fused: bool, reduction: str) -> None:
    x, p = case
    if x.name not in LOSS_TORCH:
        pytest.fail(f"loss {x.name!r} has no torch reference in tests/loss_refs.py LOSS_TORCH")
    z, y, t = _inputs(x, p, shape, "torch")
    value, grad = run(lib, x, p, fused, reduction, z, y, t)
    want_value, want_grad = torch_loss(x.name, x.link, x.normalizer, z if fused else y, t, p, fused, reduction)
    tol = x.tolerance
    assert value == pytest.approx(want_value, rel=tol.rtol * 10, abs=tol.atol * 10)
    _close(grad, want_grad, tol.rtol * 10, tol.atol * (10 if reduction == "sum" else 1))


@pytest.mark.parametrize("fused", [False, True], ids=["generic", "fused"])
@pytest.mark.parametrize("case", _cases(), ids=_case_id)
def test_loss_extreme_inputs(lib: ctypes.CDLL, case: tuple[catalogue.Loss, dict[str, float]], fused: bool) -> None:
    """Inputs of +-100 and +-30 next to moderate ones: where torch's float64 loss fits in float32 the kernel's
    value and gradient are finite and agree with it."""
    x, p = case
    if x.name not in LOSS_TORCH:
        pytest.fail(f"loss {x.name!r} has no torch reference in tests/loss_refs.py LOSS_TORCH")
    z = np.array([[-100.0, 100.0, 0.5, -30.0], [30.0, -0.25, 100.0, -100.0], [1.0e-3, 2.0, -2.0, 0.0]])
    if x.name == "poisson_nll" and not p["log_input"]:
        z = np.abs(z) + 1e-3
    y = ACT_REFS[x.link].forward(z, CAT.activation(x.link).params)
    t = TARGETS[x.targets](_rng("extreme", x.name), z.shape)
    want_value, want_grad = torch_loss(x.name, x.link, x.normalizer, z if fused else y, t, p, fused)
    value, grad = run(lib, x, p, fused, "mean", z, y, t)
    if not abs(want_value) < float(np.finfo(np.float32).max) / z.size:
        # The true loss does not fit float32 (poisson_nll's exp(100)): it must read +inf, never a finite lie.
        assert want_value > 0 and value == np.inf, (value, want_value)
        return
    assert np.isfinite(value) and np.isfinite(grad).all(), (value, grad)
    if fused or x.link == "identity":  # generic after a saturating link: y itself lost the information
        assert value == pytest.approx(want_value, rel=1e-5, abs=1e-6)
        _close(grad, want_grad, 1e-5, 1e-6)
