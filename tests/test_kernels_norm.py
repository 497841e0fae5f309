"""CPU kernels of batch and layer normalisation against NumPy formulas, against torch (functional batch_norm /
layer_norm with autograd) and against central finite differences of the kernels' own forward pass.
Harness: tests/kernel_harness.py. The accumulate flags are covered in test_kernels_ops.py."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest
from kernel_harness import Arena, _close, _last, _rng

MATRICES = ((1, 1), (7, 5), (127, 33), (300, 7))
EPS, MOMENTUM = 1e-5, 0.1
NO_DX = 0xFFFFFFFF
TOL = {"rtol": 2e-4, "atol": 2e-4}


def _line_groups(lines: int) -> tuple[int, int, int]:
    return (max(1, -(-lines // 64)), 1, 1)


def _inputs(key: str, rows: int, cols: int) -> dict[str, np.ndarray]:
    """x off-centre (mean 3, std 2), gamma/beta away from 1/0, an upstream gradient, running statistics."""
    rng = _rng(key, rows, cols)
    f32 = lambda v: np.asarray(v, np.float32).astype(float)  # noqa: E731: the values the kernels see
    return {"x": f32(rng.normal(3.0, 2.0, size=(rows, cols))), "gamma": f32(rng.uniform(0.5, 1.5, size=cols)),
            "beta": f32(rng.normal(size=cols)), "g": f32(rng.normal(size=(rows, cols))),
            "run_mean": f32(rng.normal(size=cols)), "run_var": f32(rng.uniform(0.5, 2.0, size=cols))}


# ---- NumPy references (float64) ------------------------------------------------------------------------------

def _norm_ref(x: np.ndarray, axis: int, eps: float = EPS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xhat, mean, invstd) normalising over `axis` with the biased variance."""
    mean = x.mean(axis=axis, keepdims=True)
    invstd = 1.0 / np.sqrt(x.var(axis=axis, keepdims=True) + eps)
    return (x - mean) * invstd, mean.ravel(), invstd.ravel()


def _norm_backward_ref(g: np.ndarray, xhat: np.ndarray, invstd: np.ndarray, gamma: np.ndarray,
                       axis: int) -> np.ndarray:
    """dx of y = xhat * gamma + beta, xhat normalised over `axis`: invstd * (d - mean(d) - xhat * mean(d xhat))."""
    d = g * gamma
    inv = invstd[None, :] if axis == 0 else invstd[:, None]
    return inv * (d - d.mean(axis=axis, keepdims=True) - xhat * (d * xhat).mean(axis=axis, keepdims=True))


# ---- Running the kernels ---------------------------------------------------------------------------------------

def _bn_train(lib: ctypes.CDLL, v: dict[str, np.ndarray], affine: bool) -> dict[str, np.ndarray]:
    rows, cols = v["x"].shape
    a = Arena()
    x, rm, rv = a.put(v["x"]), a.put(v["run_mean"]), a.put(v["run_var"])
    gamma, beta = (a.put(v["gamma"]), a.put(v["beta"])) if affine else (0, 0)
    y, mean, invstd = a.out(rows * cols), a.out(cols), a.out(cols)
    data = a.build()
    lib.w_batchnorm_forward_train(data, x, gamma, beta, y, mean, invstd, rm, rv, rows, cols, EPS, MOMENTUM, affine)
    assert _last(lib) == ("batchnorm_forward_train", _line_groups(cols))
    a.check_gaps()
    return {"y": a.get(y, (rows, cols)), "mean": a.get(mean, cols), "invstd": a.get(invstd, cols),
            "run_mean": a.get(rm, cols), "run_var": a.get(rv, cols)}


def _bn_backward(lib: ctypes.CDLL, v: dict[str, np.ndarray], mean: np.ndarray, invstd: np.ndarray, affine: bool,
                 want_dx: bool = True) -> dict[str, np.ndarray]:
    rows, cols = v["x"].shape
    a = Arena()
    g, x, m, s = a.put(v["g"]), a.put(v["x"]), a.put(mean), a.put(invstd)
    gamma = a.put(v["gamma"]) if affine else 0
    dx = a.out(rows * cols) if want_dx else NO_DX
    dgamma, dbeta = (a.out(cols), a.out(cols)) if affine else (0, 0)
    data = a.build()
    lib.w_batchnorm_backward(data, g, x, gamma, m, s, dx, dgamma, dbeta, rows, cols, affine, 0, 0)
    assert _last(lib) == ("batchnorm_backward", _line_groups(cols))
    a.check_gaps()  # also: no write to dx when it is not wanted, none to dgamma / dbeta without affine
    out = {"dx": a.get(dx, (rows, cols))} if want_dx else {}
    if affine:
        out |= {"dgamma": a.get(dgamma, cols), "dbeta": a.get(dbeta, cols)}
    return out


def _ln_forward(lib: ctypes.CDLL, v: dict[str, np.ndarray], affine: bool) -> dict[str, np.ndarray]:
    rows, cols = v["x"].shape
    a = Arena()
    x = a.put(v["x"])
    gamma, beta = (a.put(v["gamma"]), a.put(v["beta"])) if affine else (0, 0)
    y, mean, rstd = a.out(rows * cols), a.out(rows), a.out(rows)
    data = a.build()
    lib.w_layernorm_forward(data, x, gamma, beta, y, mean, rstd, rows, cols, EPS, affine)
    assert _last(lib) == ("layernorm_forward", _line_groups(rows))
    a.check_gaps()
    return {"y": a.get(y, (rows, cols)), "mean": a.get(mean, rows), "rstd": a.get(rstd, rows)}


def _ln_backward(lib: ctypes.CDLL, v: dict[str, np.ndarray], mean: np.ndarray, rstd: np.ndarray,
                 affine: bool) -> dict[str, np.ndarray]:
    rows, cols = v["x"].shape
    a = Arena()
    g, x, m, s = a.put(v["g"]), a.put(v["x"]), a.put(mean), a.put(rstd)
    gamma = a.put(v["gamma"]) if affine else 0
    dx = a.out(rows * cols)
    dgamma, dbeta = (a.out(cols), a.out(cols)) if affine else (0, 0)
    data = a.build()
    lib.w_layernorm_backward_input(data, g, x, gamma, m, s, dx, rows, cols, affine, 0)
    assert _last(lib) == ("layernorm_backward_input", _line_groups(rows))
    if affine:  # without parameters there is nothing to differentiate: the planner skips the call
        lib.w_layernorm_backward_params(data, g, x, m, s, dgamma, dbeta, rows, cols, 0)
        assert _last(lib) == ("layernorm_backward_params", _line_groups(cols))
    a.check_gaps()
    out = {"dx": a.get(dx, (rows, cols))}
    if affine:
        out |= {"dgamma": a.get(dgamma, cols), "dbeta": a.get(dbeta, cols)}
    return out


# ---- Batch norm ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
@pytest.mark.parametrize("shape", MATRICES, ids=str)
def test_batchnorm_train_forward_and_backward(lib: ctypes.CDLL, shape: tuple[int, int], affine: bool) -> None:
    v = _inputs("bn", *shape)
    gamma = v["gamma"] if affine else np.ones(shape[1])
    beta = v["beta"] if affine else np.zeros(shape[1])
    got = _bn_train(lib, v, affine)
    xhat, mean, invstd = _norm_ref(v["x"], 0)
    _close(got["y"], xhat * gamma + beta, **TOL)
    _close(got["mean"], mean, **TOL)
    _close(got["invstd"], invstd, 1e-4, 0.0)
    # running statistics: torch's momentum update with the unbiased variance (rows == 1 keeps the biased one)
    rows = shape[0]
    unbiased = v["x"].var(axis=0, ddof=1) if rows > 1 else v["x"].var(axis=0)
    _close(got["run_mean"], (1 - MOMENTUM) * v["run_mean"] + MOMENTUM * mean, 1e-5, 1e-6)
    _close(got["run_var"], (1 - MOMENTUM) * v["run_var"] + MOMENTUM * unbiased, 1e-5, 1e-6)

    back = _bn_backward(lib, v, got["mean"], got["invstd"], affine)
    _close(back["dx"], _norm_backward_ref(v["g"], xhat, invstd, gamma, 0), **TOL)
    if affine:
        _close(back["dgamma"], (v["g"] * xhat).sum(axis=0), **TOL)
        _close(back["dbeta"], v["g"].sum(axis=0), **TOL)
    only_params = _bn_backward(lib, v, got["mean"], got["invstd"], affine, want_dx=False)
    for name, value in only_params.items():
        np.testing.assert_array_equal(value, back[name])


@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
@pytest.mark.parametrize("shape", MATRICES[1:], ids=str)  # torch rejects training batch norm on one row
def test_batchnorm_matches_torch(lib: ctypes.CDLL, shape: tuple[int, int], affine: bool) -> None:
    torch = pytest.importorskip("torch")
    fn = torch.nn.functional
    v = _inputs("bn torch", *shape)
    t = {k: torch.tensor(val, dtype=torch.float64, requires_grad=k in ("x", "gamma", "beta"))
         for k, val in v.items()}
    run_mean, run_var = t["run_mean"].detach().clone(), t["run_var"].detach().clone()
    weight, bias = (t["gamma"], t["beta"]) if affine else (None, None)
    y = fn.batch_norm(t["x"], run_mean, run_var, weight, bias, training=True, momentum=MOMENTUM, eps=EPS)
    y.backward(t["g"])
    got = _bn_train(lib, v, affine)
    _close(got["y"], y.detach().numpy(), **TOL)
    _close(got["run_mean"], run_mean.numpy(), 1e-5, 1e-6)
    _close(got["run_var"], run_var.numpy(), 1e-5, 1e-6)
    back = _bn_backward(lib, v, got["mean"], got["invstd"], affine)
    _close(back["dx"], t["x"].grad.numpy(), **TOL)
    if affine:
        _close(back["dgamma"], t["gamma"].grad.numpy(), **TOL)
        _close(back["dbeta"], t["beta"].grad.numpy(), **TOL)
    # evaluation mode with the running statistics the training step left
    y_eval = fn.batch_norm(t["x"], run_mean, run_var, weight, bias, training=False, eps=EPS)
    _close(_bn_eval(lib, v["x"], got, v, affine), y_eval.detach().numpy(), **TOL)


def _bn_eval(lib: ctypes.CDLL, xs: np.ndarray, stats: dict[str, np.ndarray], v: dict[str, np.ndarray],
             affine: bool) -> np.ndarray:
    rows, cols = xs.shape
    a = Arena()
    x, rm, rv = a.put(xs), a.put(stats["run_mean"]), a.put(stats["run_var"])
    gamma, beta = (a.put(v["gamma"]), a.put(v["beta"])) if affine else (0, 0)
    y = a.out(rows * cols)
    data = a.build()
    lib.w_batchnorm_forward_eval(data, x, gamma, beta, y, rm, rv, rows, cols, EPS, affine)
    assert _last(lib) == ("batchnorm_forward_eval", (max(1, -(-rows * cols // 256)), 1, 1))
    a.check_gaps()
    return a.get(y, (rows, cols))


@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
@pytest.mark.parametrize("shape", MATRICES, ids=str)
def test_batchnorm_eval(lib: ctypes.CDLL, shape: tuple[int, int], affine: bool) -> None:
    v = _inputs("bn eval", *shape)
    gamma = v["gamma"] if affine else 1.0
    beta = v["beta"] if affine else 0.0
    want = (v["x"] - v["run_mean"]) / np.sqrt(v["run_var"] + EPS) * gamma + beta
    _close(_bn_eval(lib, v["x"], v, v, affine), want, **TOL)


# ---- Layer norm ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
@pytest.mark.parametrize("shape", MATRICES, ids=str)
def test_layernorm_forward_and_backward(lib: ctypes.CDLL, shape: tuple[int, int], affine: bool) -> None:
    v = _inputs("ln", *shape)
    gamma = v["gamma"] if affine else np.ones(shape[1])
    beta = v["beta"] if affine else np.zeros(shape[1])
    got = _ln_forward(lib, v, affine)
    xhat, mean, rstd = _norm_ref(v["x"], 1)
    _close(got["y"], xhat * gamma + beta, **TOL)
    _close(got["mean"], mean, **TOL)
    _close(got["rstd"], rstd, 1e-4, 0.0)
    back = _ln_backward(lib, v, got["mean"], got["rstd"], affine)
    _close(back["dx"], _norm_backward_ref(v["g"], xhat, rstd, gamma, 1), **TOL)
    if affine:
        _close(back["dgamma"], (v["g"] * xhat).sum(axis=0), **TOL)
        _close(back["dbeta"], v["g"].sum(axis=0), **TOL)


@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
@pytest.mark.parametrize("shape", MATRICES, ids=str)
def test_layernorm_matches_torch(lib: ctypes.CDLL, shape: tuple[int, int], affine: bool) -> None:
    torch = pytest.importorskip("torch")
    v = _inputs("ln torch", *shape)
    t = {k: torch.tensor(val, dtype=torch.float64, requires_grad=True) for k, val in v.items()}
    weight, bias = (t["gamma"], t["beta"]) if affine else (None, None)
    y = torch.nn.functional.layer_norm(t["x"], (shape[1],), weight, bias, eps=EPS)
    y.backward(t["g"])
    got = _ln_forward(lib, v, affine)
    _close(got["y"], y.detach().numpy(), **TOL)
    back = _ln_backward(lib, v, got["mean"], got["rstd"], affine)
    _close(back["dx"], t["x"].grad.numpy(), **TOL)
    if affine:
        _close(back["dgamma"], t["gamma"].grad.numpy(), **TOL)
        _close(back["dbeta"], t["beta"].grad.numpy(), **TOL)


# ---- Both: finite differences and numerics ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["batchnorm", "layernorm"])
@pytest.mark.parametrize("shape", [(2, 1), (3, 2), (4, 3)], ids=str)
def test_gradients_match_finite_differences(lib: ctypes.CDLL, kind: str, shape: tuple[int, int]) -> None:
    """dL/dx, dL/dgamma, dL/dbeta of L = sum(g * y) from the backward kernels against central differences of
    the forward kernel, independent of the formulas above."""
    if kind == "layernorm" and shape[1] < 3:
        shape = (shape[0], 3)  # one feature normalises to 0 whatever x is; two to +-1, nearly
    v = _inputs(f"fd {kind}", *shape)
    v["x"] = _rng("fd x", kind, shape).normal(scale=2.0, size=shape)  # spread: h below is small against it
    forward = (lambda w: _bn_train(lib, w, True)) if kind == "batchnorm" else (lambda w: _ln_forward(lib, w, True))
    got = forward(v)
    stats = (got["mean"], got["invstd"]) if kind == "batchnorm" else (got["mean"], got["rstd"])
    back = (_bn_backward if kind == "batchnorm" else _ln_backward)(lib, v, *stats, True)
    h = 2e-3
    for name, grad in (("x", back["dx"]), ("gamma", back["dgamma"]), ("beta", back["dbeta"])):
        fd = np.zeros_like(v[name])
        for idx in np.ndindex(*v[name].shape):
            values = []
            for step in (h, -h):
                w = {k: val.copy() for k, val in v.items()}
                w[name][idx] += step
                values.append(float((v["g"] * forward(w)["y"]).sum()))
            fd[idx] = (values[0] - values[1]) / (2 * h)
        _close(grad, fd, 3e-3, 3e-3)


@pytest.mark.parametrize("kind", ["batchnorm", "layernorm"])
def test_large_offset_keeps_the_variance(lib: ctypes.CDLL, kind: str) -> None:
    """x = 1e4 + N(0, 1): the two-pass variance keeps ~3 digits where E[x^2] - mean^2 in float32 (ulp of 1e8
    is 8) would give noise or a negative variance."""
    rng = _rng("offset", kind)
    x = (1e4 + rng.normal(size=(300, 7))).astype(np.float32).astype(float)
    if kind == "layernorm":
        x = np.ascontiguousarray(x.T)
    v = _inputs("offset", *x.shape) | {"x": x}
    axis = 0 if kind == "batchnorm" else 1
    got = _bn_train(lib, v, False)["invstd"] if kind == "batchnorm" else _ln_forward(lib, v, False)["rstd"]
    _close(got, _norm_ref(x, axis)[2], 2e-3, 0.0)
