"""CPU kernels of the layers against NumPy: activations (values, finite-difference derivatives, extreme
inputs), the dense GEMMs on awkward shapes, gathering, softmax. Harness: tests/kernel_harness.py."""
from __future__ import annotations

import ctypes
import math

import numpy as np
import pytest
from kernel_harness import (
    ACT_REFS,
    ACTS,
    CAT,
    NO_PARAMS,
    SHAPES,
    Arena,
    _close,
    _last,
    _rng,
    _softmax,
    act_params,
    catalogue,
)

# ---- Activations: tests/test_activations.py checks every catalogue entry (values, derivatives, extremes) ----

# ---- Dense layers -------------------------------------------------------------------------------------------

def _gemm_tol(k: int) -> dict[str, float]:
    return {"rtol": 1e-5 * max(1, k) ** 0.5, "atol": 1e-5 * max(1, k) ** 0.5}


# The GEMM epilogues on awkward shapes, for a few activations: none, one parameter, two, a helper-heavy one and a
# row-wise one (every activation's epilogue, K = 1: tests/test_activations.py).
EPILOGUE_ACTS = [CAT.activation(n) for n in ("identity", "leaky_relu", "hard_tanh", "gelu", "softmax")]


@pytest.mark.parametrize("act", EPILOGUE_ACTS, ids=lambda a: a.name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_dense_forward(lib: ctypes.CDLL, act: catalogue.Activation, shape: tuple[int, int, int]) -> None:
    m, n, k = shape
    idx, params = ACTS.index(act.name), act_params(act)
    rng = _rng("dense_forward", act.name, shape)
    xs, ws, bs = rng.normal(size=(m, k)), rng.normal(size=(n, k)) / math.sqrt(k), rng.normal(size=n)
    a = Arena()
    x, w, b = a.put(xs), a.put(ws), a.put(bs)
    z, y = a.out(m * n), a.out(m * n)
    data = a.build()
    lib.w_dense_forward(data, idx, params, x, w, b, z, y, m, n, k)
    name, groups = _last(lib)
    assert name == f"dense_forward_{act.name if act.elementwise else 'identity'}"
    assert groups == (-(-n // 64), -(-m // 64), 1)
    a.check_gaps()
    zref = xs @ ws.T + bs
    _close(a.get(z, (m, n)), zref, **_gemm_tol(k))
    # row-wise activations use the identity variant: Y = Z, softmax_rows follows
    yref = ACT_REFS[act.name].forward(zref, act.params) if act.elementwise else zref
    _close(a.get(y, (m, n)), yref, **_gemm_tol(k))


def test_dense_forward_in_place_and_empty_inner(lib: ctypes.CDLL) -> None:
    rng = _rng("dense_forward_inplace")
    xs, ws, bs = rng.normal(size=(7, 5)), rng.normal(size=(3, 5)), rng.normal(size=3)
    a = Arena()
    x, w, b, z = a.put(xs), a.put(ws), a.put(bs), a.out(21)
    data = a.build()
    lib.w_dense_forward(data, ACTS.index("relu"), NO_PARAMS, x, w, b, z, z, 7, 3, 5)  # y_off == z_off
    a.check_gaps()
    _close(a.get(z, (7, 3)), np.maximum(xs @ ws.T + bs, 0.0), 1e-5, 1e-5)
    lib.w_dense_forward(data, 0, NO_PARAMS, x, w, b, z, z, 7, 3, 0)  # K = 0: Z = b
    _close(a.get(z, (7, 3)), np.broadcast_to(bs, (7, 3)), 1e-6, 1e-6)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_weight_grad(lib: ctypes.CDLL, shape: tuple[int, int, int]) -> None:
    m, n, k = shape
    rng = _rng("weight_grad", shape)
    gs, xs = rng.normal(size=(m, n)), rng.normal(size=(m, k))
    a = Arena()
    g, x, dw = a.put(gs), a.put(xs), a.out(n * k)
    data = a.build()
    lib.w_weight_grad(data, g, x, dw, m, n, k, 0)
    assert _last(lib) == ("weight_grad", (-(-k // 64), -(-n // 64), 1))
    a.check_gaps()
    _close(a.get(dw, (n, k)), gs.T @ xs, **_gemm_tol(m))


@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (127, 300), (300, 7)], ids=str)
def test_bias_grad(lib: ctypes.CDLL, shape: tuple[int, int]) -> None:
    rows, cols = shape
    gs = _rng("bias_grad", shape).normal(size=shape)
    a = Arena()
    g, db = a.put(gs), a.out(cols)
    data = a.build()
    lib.w_bias_grad(data, g, db, rows, cols, 0)
    assert _last(lib) == ("bias_grad", (-(-cols // 64), 1, 1))
    a.check_gaps()
    _close(a.get(db, cols), gs.sum(axis=0), **_gemm_tol(rows))


@pytest.mark.parametrize("act", EPILOGUE_ACTS, ids=lambda a: a.name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_dense_backward_input(lib: ctypes.CDLL, act: catalogue.Activation, shape: tuple[int, int, int]) -> None:
    m, n, k = shape
    idx, params = ACTS.index(act.name), act_params(act)
    rng = _rng("dense_backward_input", act.name, shape)
    gs, ws, zs = rng.normal(size=(m, n)), rng.normal(size=(n, k)), rng.normal(scale=2.0, size=(m, k))
    ys = ACT_REFS[act.name].forward(zs, act.params)
    a = Arena()
    g, w, z, y, out = a.put(gs), a.put(ws), a.put(zs), a.put(ys), a.out(m * k)
    data = a.build()
    lib.w_dense_backward_input(data, idx, params, g, w, z, y, out, m, n, k, 0)
    name, groups = _last(lib)
    assert name == f"dense_backward_input_{act.name if act.elementwise else 'identity'}"
    assert groups == (-(-k // 64), -(-m // 64), 1)
    a.check_gaps()
    d = gs @ ws
    want = d * ACT_REFS[act.name].derivative(zs, act.params) if act.elementwise else d
    _close(a.get(out, (m, k)), want, **_gemm_tol(n))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_gemm_paths_agree(lib: ctypes.CDLL, baseline_lib: ctypes.CDLL, shape: tuple[int, int, int]) -> None:
    """The portable GEMM block (no AVX2) gives the same three layer GEMMs as the default build."""
    m, n, k = shape
    rng = _rng("gemm_paths", shape)
    xs, ws, bs, gs = rng.normal(size=(m, k)), rng.normal(size=(n, k)), rng.normal(size=n), rng.normal(size=(m, n))
    results = []
    for library in (lib, baseline_lib):
        a = Arena()
        x, w, b, g = a.put(xs), a.put(ws), a.put(bs), a.put(gs)
        z, y, dw, d = a.out(m * n), a.out(m * n), a.out(n * k), a.out(m * k)
        data = a.build()
        library.w_dense_forward(data, ACTS.index("leaky_relu"), act_params("leaky_relu"), x, w, b, z, y, m, n, k)
        library.w_weight_grad(data, g, x, dw, m, n, k, 0)
        library.w_dense_backward_input(data, ACTS.index("relu"), NO_PARAMS, g, w, x, x, d, m, n, k, 0)
        a.check_gaps()
        results.append(data)
    _close(results[1], results[0], **_gemm_tol(max(m, n, k)))


def test_gather_rows(lib: ctypes.CDLL) -> None:
    rng = _rng("gather")
    for rows, length, src_rows in ((1, 1, 1), (7, 3, 10), (127, 5, 300), (300, 33, 301)):
        src = rng.normal(size=(src_rows, length))
        index = rng.integers(0, src_rows, size=rows + 4).astype(np.uint32)
        a = Arena()
        s, d = a.put(src), a.out(rows * length)
        data = a.build()
        iarena = np.concatenate([np.zeros(3, np.uint32), index])
        lib.w_gather_rows(data, iarena, s, d, 3, 2, rows, length)
        assert _last(lib) == ("gather_rows", (-(-rows * length // 256), 1, 1))
        a.check_gaps()
        np.testing.assert_array_equal(a.get(d, (rows, length)), src.astype(np.float32)[index[2:2 + rows]])


# ---- Softmax ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (127, 10), (3, 300)], ids=str)
def test_softmax_rows_and_backward(lib: ctypes.CDLL, shape: tuple[int, int]) -> None:
    rows, cols = shape
    rng = _rng("softmax", shape)
    zs = rng.normal(scale=5.0, size=shape)
    zs[0, 0] = 1000.0  # extreme logits: max subtraction keeps exp finite
    if rows > 1:
        zs[1, :] = -1000.0
    gs = rng.normal(size=shape)
    a = Arena()
    z, y, g = a.put(zs), a.out(rows * cols), a.put(gs)
    out = a.out(rows * cols)
    data = a.build()
    lib.w_softmax_rows(data, z, y, rows, cols)
    assert _last(lib) == ("softmax_rows", (-(-rows // 64), 1, 1))
    ys = a.get(y, shape)
    assert np.isfinite(ys).all()
    _close(ys, _softmax(zs), 1e-5, 1e-7)
    lib.w_softmax_backward(data, g, y, out, rows, cols, 0)
    assert _last(lib) == ("softmax_backward", (-(-rows // 64), 1, 1))
    a.check_gaps()
    want = ys * (gs - (gs * ys).sum(axis=1, keepdims=True))
    _close(a.get(out, shape), want, 1e-5, 1e-6)
    lib.w_softmax_backward(data, g, y, g, rows, cols, 0)  # in place
    _close(a.get(g, shape), want, 1e-5, 1e-6)
    lib.w_softmax_rows(data, z, z, rows, cols)  # in place
    _close(a.get(z, shape), _softmax(zs), 1e-5, 1e-7)
