"""CPU kernels of the op graph against NumPy: standalone activations, fill / add / copy, the `accumulate` flag of
every gradient kernel, dropout's counter-based mask, and the elementwise families' dispatch sizes. The
normalisations have their own file (test_kernels_norm.py). Harness: tests/kernel_harness.py."""
from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from kernel_harness import (
    ACT_REFS,
    ACTS,
    CAT,
    ELEMENTWISE,
    NO_PARAMS,
    Arena,
    _close,
    _last,
    _rng,
    act_params,
    catalogue,
)

COUNTS = (1, 35, 4191, 2100)  # 1x1, 7x5, 127x33, 300x7 flattened
MATRICES = ((1, 1), (7, 5), (127, 33), (300, 7))


def _groups(count: int, local: int = 256) -> tuple[int, int, int]:
    return (min(max(1, -(-count // local)), 65535), 1, 1)


# ---- act_forward --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("act", ELEMENTWISE, ids=lambda a: a.name)
def test_act_forward(lib: ctypes.CDLL, act: catalogue.Activation) -> None:
    """Every elementwise activation, out of place and in place, against ACT_REFS."""
    idx, params = ACTS.index(act.name), act_params(act)
    fwd = ACT_REFS[act.name].forward
    assert act.tolerance
    for n in COUNTS:
        xs = _rng("act_forward", act.name, n).normal(scale=3.0, size=n)
        a = Arena()
        x, y = a.put(xs), a.out(n)
        data = a.build()
        lib.w_act_forward_kernel(data, idx, params, x, y, n)
        assert _last(lib) == (f"act_forward_{act.name}", _groups(n))
        a.check_gaps()
        _close(a.get(y, n), fwd(xs, act.params), act.tolerance.rtol, act.tolerance.atol)
        lib.w_act_forward_kernel(data, idx, params, x, x, n)  # y aliases x
        _close(a.get(x, n), fwd(xs, act.params), act.tolerance.rtol, act.tolerance.atol)


def test_act_forward_variant_lookup(lib: ctypes.CDLL) -> None:
    """Row-wise activations give the identity variant (the caller adds softmax_rows); bad values give noop."""
    a = Arena()
    x = a.put([1.0, -2.0])
    data = a.build()
    for act in CAT.activations:
        lib.w_act_forward_kernel(data, ACTS.index(act.name), NO_PARAMS, x, x, 2)
        assert _last(lib)[0] == f"act_forward_{act.name if act.elementwise else 'identity'}"
    before = data.copy()
    lib.w_act_forward_kernel(data, 99, NO_PARAMS, x, x, 2)
    assert _last(lib)[0] == "noop"
    np.testing.assert_array_equal(data, before)


# ---- fill, add, copy ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", COUNTS)
def test_fill_add_copy(lib: ctypes.CDLL, n: int) -> None:
    rng = _rng("fill_add_copy", n)
    av, bv = rng.normal(size=n), rng.normal(size=n)
    a = Arena()
    x, y, filled, total, copied = a.put(av), a.put(bv), a.out(n), a.out(n), a.out(n)
    data = a.build()
    lib.w_fill(data, filled, n, -2.5)
    assert _last(lib) == ("fill", _groups(n))
    lib.w_add(data, x, y, total, n)
    assert _last(lib) == ("add", _groups(n))
    lib.w_copy(data, x, copied, n, 0)
    assert _last(lib) == ("copy", _groups(n))
    a.check_gaps()
    np.testing.assert_array_equal(a.get(filled, n), np.full(n, -2.5))
    np.testing.assert_array_equal(a.get(total, n), (av.astype(np.float32) + bv.astype(np.float32)).astype(float))
    np.testing.assert_array_equal(a.get(copied, n), a.get(x, n))
    lib.w_add(data, x, y, y, n)  # out aliases b
    np.testing.assert_array_equal(a.get(y, n), a.get(total, n))
    lib.w_add(data, x, x, x, n)  # out aliases both
    np.testing.assert_array_equal(a.get(x, n), 2.0 * av.astype(np.float32))


def test_empty_counts_touch_nothing(lib: ctypes.CDLL) -> None:
    """count 0 still dispatches one workgroup (Godot rejects empty dispatches), which writes nothing."""
    a = Arena()
    x = a.put([1.0])
    data = a.build()
    before = data.copy()
    for call in (lambda: lib.w_fill(data, x, 0, 3.0), lambda: lib.w_add(data, x, x, x, 0),
                 lambda: lib.w_copy(data, x, x, 0, 1), lambda: lib.w_dropout_forward(data, x, x, 0, 0.5, 1),
                 lambda: lib.w_act_forward_kernel(data, 0, NO_PARAMS, x, x, 0)):
        call()
        assert _last(lib)[1] == (1, 1, 1)
    np.testing.assert_array_equal(data, before)


# ---- accumulate: out += result, for every kernel with the flag ---------------------------------------------

@dataclass(frozen=True)
class AccCase:
    """A kernel with an accumulate flag: its inputs (name -> shape for rows x cols), its outputs (name -> shape)
    and the call (lib, data, offsets by name, rows, cols, accumulate)."""
    name: str
    inputs: Callable[[int, int], dict[str, tuple[int, ...]]]
    outputs: Callable[[int, int], dict[str, tuple[int, ...]]]
    call: Callable[[ctypes.CDLL, np.ndarray, dict[str, int], int, int, int], None]


K = 5  # inner size of the GEMM cases
NO_DX = 0xFFFFFFFF


def _norm_inputs(r: int, c: int, stats: int) -> dict[str, tuple[int, ...]]:
    return {"g": (r, c), "x": (r, c), "gamma": (c,), "mean": (stats,), "rstd": (stats,)}


ACC_CASES = [
    AccCase("act_backward", lambda r, c: {"g": (r, c), "z": (r, c), "y": (r, c)}, lambda r, c: {"out": (r, c)},
            lambda lib, d, o, r, c, acc: lib.w_act_backward(d, ACTS.index("tanh"), NO_PARAMS, o["g"], o["z"], o["y"],
                                                            o["out"], r * c, acc)),
    AccCase("softmax_backward", lambda r, c: {"g": (r, c), "y": (r, c)}, lambda r, c: {"out": (r, c)},
            lambda lib, d, o, r, c, acc: lib.w_softmax_backward(d, o["g"], o["y"], o["out"], r, c, acc)),
    AccCase("weight_grad", lambda r, c: {"g": (r, c), "x": (r, K)}, lambda r, c: {"dw": (c, K)},
            lambda lib, d, o, r, c, acc: lib.w_weight_grad(d, o["g"], o["x"], o["dw"], r, c, K, acc)),
    AccCase("bias_grad", lambda r, c: {"g": (r, c)}, lambda r, c: {"db": (c,)},
            lambda lib, d, o, r, c, acc: lib.w_bias_grad(d, o["g"], o["db"], r, c, acc)),
    AccCase("dense_backward_input", lambda r, c: {"g": (r, c), "w": (c, K), "z": (r, K), "y": (r, K)},
            lambda r, c: {"out": (r, K)},
            lambda lib, d, o, r, c, acc: lib.w_dense_backward_input(d, ACTS.index("sigmoid"), NO_PARAMS, o["g"], o["w"],
                                                                    o["z"], o["y"], o["out"], r, c, K, acc)),
    AccCase("copy", lambda r, c: {"x": (r, c)}, lambda r, c: {"out": (r, c)},
            lambda lib, d, o, r, c, acc: lib.w_copy(d, o["x"], o["out"], r * c, acc)),
    AccCase("dropout_backward", lambda r, c: {"g": (r, c)}, lambda r, c: {"out": (r, c)},
            lambda lib, d, o, r, c, acc: lib.w_dropout_backward(d, o["g"], o["out"], r * c, 0.3, 77, acc)),
    AccCase("batchnorm_backward_dx", lambda r, c: _norm_inputs(r, c, c), lambda r, c: {"dx": (r, c)},
            lambda lib, d, o, r, c, acc: lib.w_batchnorm_backward(d, o["g"], o["x"], o["gamma"], o["mean"],
                                                                  o["rstd"], o["dx"], 0, 0, r, c, 0, acc, 0)),
    AccCase("batchnorm_backward_params", lambda r, c: _norm_inputs(r, c, c),
            lambda r, c: {"dgamma": (c,), "dbeta": (c,)},
            lambda lib, d, o, r, c, acc: lib.w_batchnorm_backward(d, o["g"], o["x"], o["gamma"], o["mean"],
                                                                  o["rstd"], NO_DX, o["dgamma"], o["dbeta"], r, c, 1,
                                                                  0, acc)),
    AccCase("layernorm_backward_input", lambda r, c: _norm_inputs(r, c, r), lambda r, c: {"dx": (r, c)},
            lambda lib, d, o, r, c, acc: lib.w_layernorm_backward_input(d, o["g"], o["x"], o["gamma"], o["mean"],
                                                                        o["rstd"], o["dx"], r, c, 1, acc)),
    AccCase("layernorm_backward_params", lambda r, c: _norm_inputs(r, c, r),
            lambda r, c: {"dgamma": (c,), "dbeta": (c,)},
            lambda lib, d, o, r, c, acc: lib.w_layernorm_backward_params(d, o["g"], o["x"], o["mean"], o["rstd"],
                                                                         o["dgamma"], o["dbeta"], r, c, acc)),
]


def _run_acc(lib: ctypes.CDLL, case: AccCase, rows: int, cols: int,
             prefill: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """Runs the case on fixed inputs; outputs start as `prefill` (accumulate) or NaN (overwrite)."""
    rng = _rng("accumulate", case.name, rows, cols)
    a = Arena()
    offs = {}
    for name, shape in case.inputs(rows, cols).items():
        values = rng.normal(size=shape)
        offs[name] = a.put(np.abs(values) + 0.5 if name in ("rstd", "y") else values)
    outs = case.outputs(rows, cols)
    for name, shape in outs.items():
        offs[name] = a.put(prefill[name]) if prefill else a.out(int(np.prod(shape)))
    data = a.build()
    case.call(lib, data, offs, rows, cols, 1 if prefill else 0)
    a.check_gaps()
    return {name: a.get(offs[name], shape) for name, shape in outs.items()}


@pytest.mark.parametrize("case", ACC_CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("shape", MATRICES, ids=str)
def test_accumulate_adds_the_result(lib: ctypes.CDLL, case: AccCase, shape: tuple[int, int]) -> None:
    """accumulate = true gives out_old + (what accumulate = false writes), to float32 rounding of the sum."""
    rows, cols = shape
    fresh = _run_acc(lib, case, rows, cols, None)
    rng = _rng("accumulate old", case.name, shape)
    old = {name: rng.normal(size=v.shape).astype(np.float32).astype(float) for name, v in fresh.items()}
    added = _run_acc(lib, case, rows, cols, old)
    for name, value in fresh.items():
        want = old[name] + value
        np.testing.assert_allclose(added[name], want, rtol=2e-6, atol=2e-6 * (1.0 + np.abs(value).max()),
                                   err_msg=f"{case.name}.{name}")


def test_gemm_accumulate_on_big_tiles(lib: ctypes.CDLL) -> None:
    """The accumulate flag also reaches the big-tile GEMM variants (picked for large C)."""
    m, n, k = 3, 2048, 2048  # dW is n x k: 256 big tiles
    rng = _rng("gemm big accumulate")
    gs, xs = rng.normal(size=(m, n)), rng.normal(size=(m, k))
    old = rng.normal(size=(n, k))
    a = Arena()
    g, x, dw = a.put(gs), a.put(xs), a.put(old)
    data = a.build()
    lib.w_weight_grad(data, g, x, dw, m, n, k, 1)
    assert _last(lib)[0] == "weight_grad_t128"
    _close(a.get(dw, (n, k)), old + gs.T @ xs, 1e-5, 1e-5)


# ---- dropout ------------------------------------------------------------------------------------------------

def _np_hash(x: np.ndarray) -> np.ndarray:
    """lk_hash of templates/kernels/_math.inc.j2 in NumPy uint32 arithmetic (wraps like GLSL and C++)."""
    x = x.astype(np.uint32)
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846CA68B)
    x ^= x >> np.uint32(16)
    return x


def _np_uniform(seed: int, count: int) -> np.ndarray:
    lo = np.array([seed & 0xFFFFFFFF], np.uint32)
    hi = np.array([seed >> 32], np.uint32)
    with np.errstate(over="ignore"):
        key = _np_hash(lo ^ _np_hash(hi ^ np.uint32(0x9E3779B9)))
        h = _np_hash(_np_hash(np.arange(count, dtype=np.uint32) ^ key) + key)
    return (h >> np.uint32(8)).astype(np.float32) * np.float32(2.0 ** -24)


def _dropout(lib: ctypes.CDLL, xs: np.ndarray, p: float, seed: int) -> np.ndarray:
    a = Arena()
    x, y = a.put(xs), a.out(xs.size)
    data = a.build()
    lib.w_dropout_forward(data, x, y, xs.size, p, seed)
    assert _last(lib) == ("dropout_forward", _groups(xs.size))
    a.check_gaps()
    return a.get(y, xs.size)


def test_dropout_mask_is_the_documented_hash(lib: ctypes.CDLL) -> None:
    """The kept elements are exactly those with lk_uniform(seed, i) >= p, lk_uniform re-implemented here: the
    GLSL kernels compile the same _math.inc.j2 text, so this pins the GPU mask too."""
    n, p = 4191, 0.4
    for seed in (0, 1, 12345, 0xDEADBEEF_00000001, 2 ** 64 - 1):
        y = _dropout(lib, np.ones(n), p, seed)
        keep = _np_uniform(seed, n) >= np.float32(p)
        np.testing.assert_array_equal(y != 0.0, keep)
        scale = np.float32(1.0) / (np.float32(1.0) - np.float32(p))
        np.testing.assert_array_equal(y[keep], np.float64(scale))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_keep_fraction(lib: ctypes.CDLL, p: float) -> None:
    """Over 100k elements the kept fraction is within 3 sigma of 1 - p, for several seeds; kept values are
    x / (1 - p), dropped ones 0."""
    n = 100_000
    xs = _rng("dropout stats", p).normal(size=n) + 5.0  # never 0: a kept element shows as non-zero
    sigma = (p * (1.0 - p) / n) ** 0.5
    for seed in (1, 2, 3, 2 ** 40 + 7):
        y = _dropout(lib, xs, p, seed)
        keep = y != 0.0
        assert abs(keep.mean() - (1.0 - p)) < 3.0 * sigma, (seed, keep.mean())
        _close(y[keep], xs[keep] / (1.0 - p), 1e-6, 0.0)
        # neighbouring elements are independent: P(both kept) = (1 - p)^2
        both = (keep[:-1] & keep[1:]).mean()
        assert abs(both - (1.0 - p) ** 2) < 4.0 * ((1.0 - p) ** 2 * (1.0 - (1.0 - p) ** 2) / n) ** 0.5


def test_dropout_seeds(lib: ctypes.CDLL) -> None:
    """A seed gives the same mask every time; other seeds (either 32-bit half) give other masks."""
    n, p = 10_000, 0.5
    xs = np.ones(n)
    first = _dropout(lib, xs, p, 42)
    np.testing.assert_array_equal(_dropout(lib, xs, p, 42), first)
    for other in (43, 42 + 2 ** 32, 2 ** 63 + 42):
        differ = (_dropout(lib, xs, p, other) != first).mean()
        assert 0.4 < differ < 0.6, (other, differ)  # independent masks disagree on half the elements


def test_dropout_p0_is_identity(lib: ctypes.CDLL) -> None:
    xs = _rng("dropout p0").normal(size=2100)
    np.testing.assert_array_equal(_dropout(lib, xs, 0.0, 9), xs.astype(np.float32))


def test_dropout_backward_uses_the_forward_mask(lib: ctypes.CDLL) -> None:
    n, p, seed = 4191, 0.25, 2024
    rng = _rng("dropout backward")
    xs, gs = rng.normal(size=n) + 3.0, rng.normal(size=n)
    y = _dropout(lib, xs, p, seed)
    a = Arena()
    g, out = a.put(gs), a.out(n)
    data = a.build()
    lib.w_dropout_backward(data, g, out, n, p, seed, 0)
    assert _last(lib) == ("dropout_backward", _groups(n))
    a.check_gaps()
    keep = y != 0.0
    np.testing.assert_array_equal(a.get(out, n) != 0.0, keep & (gs.astype(np.float32) != 0.0))
    _close(a.get(out, n), np.where(keep, gs / (1.0 - p), 0.0), 1e-6, 1e-7)
