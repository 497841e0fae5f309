"""The generated CPU kernels (build/gen/kernels/cpu_kernels.cpp) against NumPy, entry by entry of the spec.

The generator runs into a temporary folder; g++ builds the generated C++ with a small `extern "C"` wrapper
into a shared library that ctypes loads. Every kernel family and every variant is checked on awkward shapes
(1, 7, 127, ~300), derivatives against central finite differences of the kernels' own forward pass, extreme
inputs for NaN/Inf, and the optimizers against NumPy re-implementations of the torch formulas.

The NumPy references below are the hand-written half of the catalogue: adding an activation, loss, optimizer
or initializer to codegen/spec/*.yaml without adding its reference here fails test_every_entry_has_a_reference.
"""
from __future__ import annotations

import ctypes
import math
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

from lk_codegen import catalogue, kernels

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


# activation name -> (forward(x, alpha), derivative(x, alpha))
ACT_REFS: dict[str, tuple[Callable[[F64, float], F64], Callable[[F64, float], F64]]] = {
    "identity": (lambda x, a: x, lambda x, a: np.ones_like(x)),
    "sigmoid": (lambda x, a: _sigmoid(x), lambda x, a: _sigmoid(x) * (1.0 - _sigmoid(x))),
    "tanh": (lambda x, a: np.tanh(x), lambda x, a: 1.0 - np.tanh(x) ** 2),
    "relu": (lambda x, a: np.maximum(x, 0.0), lambda x, a: (x > 0.0).astype(float)),
    "leaky_relu": (lambda x, a: np.where(x > 0.0, x, a * x), lambda x, a: np.where(x > 0.0, 1.0, a)),
    "softmax": (lambda x, a: _softmax(x), lambda x, a: np.ones_like(x)),  # row-wise: see test_softmax_*
}


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
LOSS_TARGETS = {"real": lambda rng, s: rng.normal(size=s),
                "probability": lambda rng, s: rng.uniform(size=s),
                "distribution": lambda rng, s: np.eye(s[1])[rng.integers(0, s[1], size=s[0])]}


def _sgd(p: F64, g: F64, state: list[F64], h: dict[str, float], t: int) -> None:
    g = g + h["weight_decay"] * p
    state[0][:] = g if t == 1 else h["momentum"] * state[0] + g  # torch: buf = g on the first step
    p -= h["lr"] * state[0]


def _adam(p: F64, g: F64, state: list[F64], h: dict[str, float], t: int) -> None:
    g = g + h["weight_decay"] * p
    m, v = state
    m[:] = h["beta1"] * m + (1.0 - h["beta1"]) * g
    v[:] = h["beta2"] * v + (1.0 - h["beta2"]) * g * g
    bc1, bc2 = 1.0 - h["beta1"] ** t, 1.0 - h["beta2"] ** t
    p -= (h["lr"] / bc1) * m / (np.sqrt(v) / math.sqrt(bc2) + h["epsilon"])


# optimizer name -> step(p, g, state, hyper, t) updating p and state in place (g already clipped)
OPT_REFS: dict[str, Callable[[F64, F64, list[F64], dict[str, float], int], None]] = {"sgd": _sgd, "adam": _adam}
# initializer name -> (uniform?, scale(fan_in, fan_out))
INIT_REFS = {"kaiming": (False, lambda fi, fo: math.sqrt(2.0 / fi)),
             "xavier": (True, lambda fi, fo: math.sqrt(6.0 / (fi + fo)))}


# ---- Building and calling the generated library -----------------------------------------------------------

WRAPPER = r"""
#include "kernels.hpp"
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
int w_init_uniform(int i) { return init_info(Init(i)).uniform; }
int w_init_from_name(const char* n) { Init x; return init_from_name(n, &x) ? int(x) : -1; }
float w_init_scale(int i, uint32_t fi, uint32_t fo) { return init_scale(Init(i), fi, fo); }
float w_act_forward(int i, float x, float alpha) { return activation_forward(Activation(i), x, alpha); }
float w_act_derivative(int i, float x, float y, float alpha) { return activation_derivative(Activation(i), x, y, alpha); }

void w_gather_rows(float* a, uint32_t* ia, uint32_t src, uint32_t dst, uint32_t idx, uint32_t start, uint32_t rows, uint32_t len) { go(kernels::gather_rows(src, dst, idx, start, rows, len), a, ia); }
void w_dense_forward(float* a, int act, float alpha, uint32_t x, uint32_t w, uint32_t b, uint32_t z, uint32_t y, uint32_t M, uint32_t N, uint32_t K) { go(kernels::dense_forward(Activation(act), alpha, x, w, b, z, y, M, N, K), a, nullptr); }
void w_softmax_rows(float* a, uint32_t z, uint32_t y, uint32_t rows, uint32_t cols) { go(kernels::softmax_rows(z, y, rows, cols), a, nullptr); }
void w_loss(float* a, int loss, int fused, uint32_t y, uint32_t z, uint32_t t, uint32_t g, uint32_t l, uint32_t rows, uint32_t cols) { go(kernels::loss(Loss(loss), fused != 0, y, z, t, g, l, rows, cols), a, nullptr); }
void w_act_backward(float* a, int act, float alpha, uint32_t g, uint32_t z, uint32_t y, uint32_t out, uint32_t count) { go(kernels::act_backward(Activation(act), alpha, g, z, y, out, count), a, nullptr); }
void w_softmax_backward(float* a, uint32_t g, uint32_t y, uint32_t out, uint32_t rows, uint32_t cols) { go(kernels::softmax_backward(g, y, out, rows, cols), a, nullptr); }
void w_weight_grad(float* a, uint32_t g, uint32_t x, uint32_t dw, uint32_t M, uint32_t N, uint32_t K) { go(kernels::weight_grad(g, x, dw, M, N, K), a, nullptr); }
void w_bias_grad(float* a, uint32_t g, uint32_t db, uint32_t rows, uint32_t cols) { go(kernels::bias_grad(g, db, rows, cols), a, nullptr); }
void w_dense_backward_input(float* a, int act, float alpha, uint32_t g, uint32_t w, uint32_t z, uint32_t y, uint32_t out, uint32_t M, uint32_t N, uint32_t K) { go(kernels::dense_backward_input(Activation(act), alpha, g, w, z, y, out, M, N, K), a, nullptr); }
void w_grad_sumsq(float* a, uint32_t g, uint32_t count, uint32_t partial) { go(kernels::grad_sumsq(g, count, partial), a, nullptr); }
void w_optimizer_step(float* a, int opt, const float* hyper, uint32_t p, uint32_t g, uint32_t s, uint32_t count, uint32_t partial) {
    OptimizerHyper h; HYPER_FROM_ARRAY go(kernels::optimizer_step(Optimizer(opt), h, p, g, s, count, partial), a, nullptr);
}
}
"""

_SIGNATURES = {  # name -> (restype, argtypes); P = float*, U = uint32 array, u = uint32, i = int, f = float
    "w_last": (None, "U"), "w_count": ("i", "i"), "w_sumsq_partials": ("u", ""),
    "w_kernel_name": ("s", "u"), "w_kernel_glsl": ("s", "u"),
    "w_act_name": ("s", "i"), "w_act_enum": ("s", "i"), "w_act_elementwise": ("i", "i"), "w_act_alpha": ("f", "i"),
    "w_act_from_name": ("i", "s"), "w_loss_name": ("s", "i"), "w_loss_link": ("i", "i"),
    "w_loss_from_name": ("i", "s"), "w_opt_name": ("s", "i"), "w_opt_state": ("u", "i"),
    "w_opt_defaults": (None, "iP"), "w_hyper_defaults": (None, "P"), "w_opt_from_name": ("i", "s"),
    "w_init_name": ("s", "i"), "w_init_uniform": ("i", "i"), "w_init_from_name": ("i", "s"),
    "w_init_scale": ("f", "iuu"), "w_act_forward": ("f", "iff"), "w_act_derivative": ("f", "ifff"),
    "w_gather_rows": (None, "PUuuuuuu"), "w_dense_forward": (None, "Pifuuuuuuuu"),
    "w_softmax_rows": (None, "Puuuu"), "w_loss": (None, "Piiuuuuuuu"), "w_act_backward": (None, "Pifuuuuu"),
    "w_softmax_backward": (None, "Puuuuu"), "w_weight_grad": (None, "Puuuuuu"), "w_bias_grad": (None, "Puuuu"),
    "w_dense_backward_input": (None, "Pifuuuuuuuu"), "w_grad_sumsq": (None, "Puuu"),
    "w_optimizer_step": (None, "PiPuuuuu"),
}
_CTYPES = {"P": np.ctypeslib.ndpointer(np.float32, flags="C_CONTIGUOUS"),
           "U": np.ctypeslib.ndpointer(np.uint32, flags="C_CONTIGUOUS"),
           "u": ctypes.c_uint32, "i": ctypes.c_int, "f": ctypes.c_float, "s": ctypes.c_char_p, None: None}


def _build(out: Path, name: str, defines: tuple[str, ...] = ()) -> ctypes.CDLL:
    """Compiles the generated kernels in `out` with the test wrapper into lib<name>.so and loads it."""
    gxx = shutil.which("g++")
    assert gxx, "g++ is required to build the generated CPU kernels"
    wrapper = WRAPPER.replace("HYPER_TO_ARRAY", " ".join(f"out[{i}] = h.{n};" for i, n in enumerate(HYPER)))
    wrapper = wrapper.replace("HYPER_FROM_ARRAY", " ".join(f"h.{n} = hyper[{i}];" for i, n in enumerate(HYPER)))
    (out / "wrapper.cpp").write_text(wrapper, encoding="utf-8")
    so = out / f"lib{name}.so"
    cmd = [gxx, "-O2", "-std=c++17", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror", *defines,
           f"-I{REPO / 'gdextension' / 'src'}", f"-I{out}",
           str(out / "kernels.cpp"), str(out / "cpu_kernels.cpp"), str(out / "wrapper.cpp"), "-o", str(so)]
    result = subprocess.run(cmd, check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    dll = ctypes.CDLL(str(so))
    for fn_name, (res, args) in _SIGNATURES.items():
        fn = getattr(dll, fn_name)
        fn.restype = _CTYPES[res] if res else None
        fn.argtypes = [_CTYPES[c] for c in args]
    return dll


@pytest.fixture(scope="session")
def gen_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generator's output, in a temporary folder."""
    out = tmp_path_factory.mktemp("gen")
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


# ---- Catalogue and tables -----------------------------------------------------------------------------------

def test_every_entry_has_a_reference() -> None:
    assert set(ACT_REFS) == {a.name for a in CAT.activations}, "add a NumPy reference to ACT_REFS"
    assert set(LOSS_REFS) == {x.name for x in CAT.losses}, "add a NumPy reference to LOSS_REFS"
    assert set(OPT_REFS) == {o.name for o in CAT.optimizers}, "add a NumPy reference to OPT_REFS"
    assert set(INIT_REFS) == {i.name for i in CAT.initializers}, "add a NumPy reference to INIT_REFS"


def test_tables_follow_the_spec(lib: ctypes.CDLL) -> None:
    assert [lib.w_count(i) for i in range(4)] == [len(CAT.activations), len(CAT.losses), len(CAT.optimizers),
                                                   len(CAT.initializers)]
    for i, a in enumerate(CAT.activations):
        assert lib.w_act_name(i).decode() == a.name and lib.w_act_enum(i).decode() == a.enum_name
        assert bool(lib.w_act_elementwise(i)) == a.elementwise
        assert lib.w_act_alpha(i) == pytest.approx(a.default_alpha)
        assert lib.w_act_from_name(a.name.encode()) == i
    for i, x in enumerate(CAT.losses):
        assert lib.w_loss_name(i).decode() == x.name and lib.w_loss_from_name(x.name.encode()) == i
        assert lib.w_loss_link(i) == ACTS.index(x.link)
    hyper = np.zeros(len(HYPER), np.float32)
    lib.w_hyper_defaults(hyper)
    _close(hyper, [h.default for h in CAT.hyperparameters], 1e-7, 0)
    for i, o in enumerate(CAT.optimizers):
        assert lib.w_opt_name(i).decode() == o.name and lib.w_opt_from_name(o.name.encode()) == i
        assert lib.w_opt_state(i) == o.state_per_param
        lib.w_opt_defaults(i, hyper)
        _close(hyper, [o.defaults[h] for h in HYPER], 1e-7, 0)
    for i, init in enumerate(CAT.initializers):
        assert lib.w_init_name(i).decode() == init.name and lib.w_init_from_name(init.name.encode()) == i
        uniform, scale = INIT_REFS[init.name]
        assert bool(lib.w_init_uniform(i)) == uniform
        for fan_in, fan_out in ((784, 256), (4, 32), (1, 1)):
            assert lib.w_init_scale(i, fan_in, fan_out) == pytest.approx(scale(fan_in, fan_out), rel=1e-6)
        assert math.isfinite(lib.w_init_scale(i, 0, 0))  # fans of 0 count as 1
    for lookup in (lib.w_act_from_name, lib.w_loss_from_name, lib.w_opt_from_name, lib.w_init_from_name):
        assert lookup(b"no_such_entry") == -1


def test_kernel_ids_names_and_glsl(lib: ctypes.CDLL) -> None:
    names = [v.name for v in kernels.variants(CAT)]
    assert lib.w_count(4) == len(names)
    assert lib.w_sumsq_partials() == kernels.SUMSQ_PARTIALS
    for k, name in enumerate(names):
        assert lib.w_kernel_name(k).decode() == name
        glsl = lib.w_kernel_glsl(k).decode()
        assert glsl.startswith("#version 450") and "binding = 0" in glsl and "binding = 1" in glsl
        assert "uint u[16]; float f[16];" in glsl and "lk_touch_bindings();" in glsl
    assert lib.w_kernel_name(60000).decode() == "noop"  # out of range: NOOP's entry


def test_out_of_range_enums_give_noop(lib: ctypes.CDLL) -> None:
    a = Arena()
    x = a.put([1.0, 2.0])
    data = a.build()
    before = data.copy()
    lib.w_dense_forward(data, 99, 0.0, x, x, x, x, x, 1, 1, 1)
    assert _last(lib)[0] == "noop"
    lib.w_loss(data, 99, 1, x, x, x, x, x, 1, 1)
    assert _last(lib)[0] == "noop"
    np.testing.assert_array_equal(data, before)


# ---- The spec and the generator ---------------------------------------------------------------------------

def _spec_copy(tmp_path: Path, file: str = "", old: str = "", new: str = "") -> Path:
    """A copy of codegen/spec with one text replacement in <file>.yaml."""
    spec = tmp_path / "spec"
    shutil.copytree(catalogue.SPEC_DIR, spec)
    if file:
        path = spec / f"{file}.yaml"
        text = path.read_text(encoding="utf-8")
        assert old in text, f"the test's edit no longer matches {file}.yaml"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return spec


@pytest.mark.parametrize(("file", "old", "new", "expected"), [
    ("activations", '"x > 0.0 ? 1.0 : alpha"', '"x > 0.0 ? 1.0 : beta"',
     "activations[leaky_relu].derivative: unknown identifier 'beta'"),
    ("activations", '"lk_sigmoid(x)"', '"1 / (1.0 + lk_exp(-x))"', "activations[sigmoid].forward: bare integer"),
    ("activations", '"lk_tanh(x)"', '"lk_tanh(x, x)"', "activations[tanh].forward: lk_tanh takes 1 arguments"),
    ("activations", '"lk_max(x, 0.0)"', '"max(x, 0.0)"', "activations[relu].forward: unknown function 'max'"),
    ("activations", "    kinks: [0.0]", "    kink: [0.0]", "activations[relu].kink: unknown key 'kink'"),
    ("activations", "  - name: tanh", "  - name: sigmoid", "activations[sigmoid].name: duplicate name"),
    ("losses", "link: sigmoid", "link: sigmod", "losses[bce].link: unknown activation 'sigmod'"),
    ("losses", '    grad: "2.0 * (y - t)"\n', "", "losses[mse]: missing required key 'grad'"),
    ("losses", '"lk_softplus(z) - z * t"', '"lk_softplus(z) - z * q"', "losses[bce].fused_value: unknown identifier"),
    ("optimizers", "p = p - lr * s0;", "p = p - lr * s1;", "optimizers[sgd].update: unknown identifier 's1'"),
    ("optimizers", "s0 = momentum * s0 + g;", "lr = momentum * s0 + g;", "optimizers[sgd].update: cannot assign 'lr'"),
    ("optimizers", "p = p - lr * s0;", "p = p - lr * s0", "optimizers[sgd].update: statement"),
    ("optimizers", "state_per_param: 2", "state_per_param: 9", "optimizers[adam].state_per_param: expected"),
    ("initializers", "distribution: normal", "distribution: gaussian",
     "initializers[kaiming].distribution: expected one of normal, uniform"),
])
def test_spec_errors_name_the_file_line_entry_and_key(tmp_path: Path, file: str, old: str, new: str,
                                                      expected: str) -> None:
    spec = _spec_copy(tmp_path, file, old, new)
    with pytest.raises(catalogue.SpecError) as err:
        catalogue.load(spec)
    message = str(err.value)
    assert expected in message
    line = int(message.split(f"{file}.yaml:", 1)[1].split(":", 1)[0])
    cited = (spec / f"{file}.yaml").read_text(encoding="utf-8").splitlines()[line - 1]
    key = expected.split(":", 1)[0].rsplit(".", 1)[-1] if "]." in expected else "name"
    assert key in cited, f"line {line} ({cited!r}) is not the line of {key!r}"


def test_one_yaml_entry_adds_an_activation(tmp_path: Path) -> None:
    """The whole cost of a new elementwise activation: one entry (and its NumPy reference in ACT_REFS)."""
    spec = _spec_copy(tmp_path, "activations", "  - name: softmax", """  - name: softplus
    doc: "y = log(1 + exp(x))."
    forward: "lk_softplus(x)"
    derivative: "lk_sigmoid(x)"
    domain: [-10.0, 10.0]
    tolerance: {rtol: 1.0e-5, atol: 1.0e-6}

  - name: softmax""")
    cat = catalogue.load(spec)
    files = kernels.render(cat)
    for family in ("dense_forward", "act_backward", "dense_backward_input"):
        assert f"glsl/{family}_softplus.comp" in files
        assert f"Kernel::{family.upper()}_SOFTPLUS" in files["kernels.cpp"]
    assert "    SOFTPLUS," in files["kernels.hpp"] and "struct Act_softplus" in files["cpu_kernels.cpp"]


def test_generated_files_are_stamped_and_rewritten_only_when_changed(gen_dir: Path) -> None:
    files = kernels.generate(gen_dir)
    for path in files:
        head = path.read_text(encoding="utf-8").splitlines()[:2]
        assert any("@generated" in line for line in head), path
    mtimes = [p.stat().st_mtime_ns for p in files]
    assert kernels.generate(gen_dir) == files
    assert [p.stat().st_mtime_ns for p in files] == mtimes
    assert set(kernels.inputs()) >= set(catalogue.spec_files()) | {catalogue.MATH_HELPERS}
    assert all(p.exists() for p in kernels.inputs())


# ---- Activations --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("act", ELEMENTWISE, ids=lambda a: a.name)
def test_activation_forward_and_derivative_values(lib: ctypes.CDLL, act: catalogue.Activation) -> None:
    """Host scalar versions against the NumPy references, over the spec's domain."""
    idx, alpha = ACTS.index(act.name), act.default_alpha
    fwd, deriv = ACT_REFS[act.name]
    assert act.domain and act.tolerance
    xs = np.linspace(*act.domain, 401)
    got = np.array([lib.w_act_forward(idx, x, alpha) for x in xs])
    _close(got, fwd(xs, alpha), act.tolerance.rtol, act.tolerance.atol)
    dgot = np.array([lib.w_act_derivative(idx, x, y, alpha) for x, y in zip(xs, got)])
    _close(dgot, deriv(xs, alpha), 1e-4, 1e-5)


@pytest.mark.parametrize("act", ELEMENTWISE, ids=lambda a: a.name)
def test_activation_derivative_matches_finite_differences(lib: ctypes.CDLL, act: catalogue.Activation) -> None:
    """act_backward(g = 1) against central differences of the dense_forward kernel (K = 1, W = 1, b = 0):
    checks the spec's derivative against the spec's forward, through the kernels."""
    idx, alpha, h = ACTS.index(act.name), act.default_alpha, 1e-2
    assert act.domain
    xs = np.linspace(act.domain[0] + 2 * h, act.domain[1] - 2 * h, 257)
    xs = xs[np.all([np.abs(xs - k) > 2 * h for k in act.kinks], axis=0)] if act.kinks else xs

    def forward(x: np.ndarray) -> np.ndarray:
        a = Arena()
        xo, w, b = a.put(x), a.put([1.0]), a.put([0.0])
        z, y = a.out(x.size), a.out(x.size)
        data = a.build()
        lib.w_dense_forward(data, idx, alpha, xo, w, b, z, y, x.size, 1, 1)
        a.check_gaps()
        return a.get(y, x.size)

    fd = (forward(xs + h) - forward(xs - h)) / (2 * h)
    a = Arena()
    g, z, y = a.put(np.ones_like(xs)), a.put(xs), a.put(forward(xs))
    out = a.out(xs.size)
    data = a.build()
    lib.w_act_backward(data, idx, alpha, g, z, y, out, xs.size)
    a.check_gaps()
    _close(a.get(out, xs.size), fd, 2e-3, 2e-3)


@pytest.mark.parametrize("act", ELEMENTWISE, ids=lambda a: a.name)
def test_activation_extreme_inputs_stay_finite(lib: ctypes.CDLL, act: catalogue.Activation) -> None:
    idx, alpha = ACTS.index(act.name), act.default_alpha
    xs = np.array([-1e30, -1000.0, -100.0, -88.0, -20.0, -1e-3, 0.0, 1e-3, 20.0, 88.0, 100.0, 1000.0, 1e30])
    a = Arena()
    xo, w, b = a.put(xs), a.put([1.0]), a.put([0.0])
    z, y = a.out(xs.size), a.out(xs.size)
    g = a.put(np.ones_like(xs))
    d = a.out(xs.size)
    data = a.build()
    lib.w_dense_forward(data, idx, alpha, xo, w, b, z, y, xs.size, 1, 1)
    lib.w_act_backward(data, idx, alpha, g, z, y, d, xs.size)
    a.check_gaps()
    ys, ds = a.get(y, xs.size), a.get(d, xs.size)
    assert np.isfinite(ys).all() and np.isfinite(ds).all(), (ys, ds)
    fwd, deriv = ACT_REFS[act.name]
    with np.errstate(over="ignore"):
        _close(ys, fwd(xs, alpha), 1e-6, 1e-6)
        _close(ds, deriv(xs, alpha), 1e-5, 1e-6)


@pytest.mark.parametrize("act", ELEMENTWISE, ids=lambda a: a.name)
def test_act_backward_in_place(lib: ctypes.CDLL, act: catalogue.Activation) -> None:
    idx, alpha = ACTS.index(act.name), act.default_alpha
    rng = _rng("act_backward", act.name)
    for n in (1, 7, 127, 300):
        zs = rng.normal(scale=3.0, size=n)
        ys = ACT_REFS[act.name][0](zs, alpha)
        gs = rng.normal(size=n)
        a = Arena()
        g, z, y = a.put(gs), a.put(zs), a.put(ys)
        data = a.build()
        lib.w_act_backward(data, idx, alpha, g, z, y, g, n)  # out aliases g
        assert _last(lib)[1] == (max(1, -(-n // 256)), 1, 1)
        a.check_gaps()
        _close(a.get(g, n), gs * ACT_REFS[act.name][1](zs, alpha), 1e-5, 1e-6)


# ---- Dense layers -------------------------------------------------------------------------------------------

def _gemm_tol(k: int) -> dict[str, float]:
    return {"rtol": 1e-5 * max(1, k) ** 0.5, "atol": 1e-5 * max(1, k) ** 0.5}


@pytest.mark.parametrize("act", CAT.activations, ids=lambda a: a.name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_dense_forward(lib: ctypes.CDLL, act: catalogue.Activation, shape: tuple[int, int, int]) -> None:
    m, n, k = shape
    idx, alpha = ACTS.index(act.name), act.default_alpha
    rng = _rng("dense_forward", act.name, shape)
    xs, ws, bs = rng.normal(size=(m, k)), rng.normal(size=(n, k)) / math.sqrt(k), rng.normal(size=n)
    a = Arena()
    x, w, b = a.put(xs), a.put(ws), a.put(bs)
    z, y = a.out(m * n), a.out(m * n)
    data = a.build()
    lib.w_dense_forward(data, idx, alpha, x, w, b, z, y, m, n, k)
    name, groups = _last(lib)
    assert name == f"dense_forward_{act.name if act.elementwise else 'identity'}"
    assert groups == (-(-n // 64), -(-m // 64), 1)
    a.check_gaps()
    zref = xs @ ws.T + bs
    _close(a.get(z, (m, n)), zref, **_gemm_tol(k))
    # row-wise activations use the identity variant: Y = Z, softmax_rows follows
    yref = ACT_REFS[act.name][0](zref, alpha) if act.elementwise else zref
    _close(a.get(y, (m, n)), yref, **_gemm_tol(k))


def test_dense_forward_in_place_and_empty_inner(lib: ctypes.CDLL) -> None:
    rng = _rng("dense_forward_inplace")
    xs, ws, bs = rng.normal(size=(7, 5)), rng.normal(size=(3, 5)), rng.normal(size=3)
    a = Arena()
    x, w, b, z = a.put(xs), a.put(ws), a.put(bs), a.out(21)
    data = a.build()
    lib.w_dense_forward(data, ACTS.index("relu"), 0.0, x, w, b, z, z, 7, 3, 5)  # y_off == z_off
    a.check_gaps()
    _close(a.get(z, (7, 3)), np.maximum(xs @ ws.T + bs, 0.0), 1e-5, 1e-5)
    lib.w_dense_forward(data, 0, 0.0, x, w, b, z, z, 7, 3, 0)  # K = 0: Z = b
    _close(a.get(z, (7, 3)), np.broadcast_to(bs, (7, 3)), 1e-6, 1e-6)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_weight_grad(lib: ctypes.CDLL, shape: tuple[int, int, int]) -> None:
    m, n, k = shape
    rng = _rng("weight_grad", shape)
    gs, xs = rng.normal(size=(m, n)), rng.normal(size=(m, k))
    a = Arena()
    g, x, dw = a.put(gs), a.put(xs), a.out(n * k)
    data = a.build()
    lib.w_weight_grad(data, g, x, dw, m, n, k)
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
    lib.w_bias_grad(data, g, db, rows, cols)
    assert _last(lib) == ("bias_grad", (-(-cols // 64), 1, 1))
    a.check_gaps()
    _close(a.get(db, cols), gs.sum(axis=0), **_gemm_tol(rows))


@pytest.mark.parametrize("act", CAT.activations, ids=lambda a: a.name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_dense_backward_input(lib: ctypes.CDLL, act: catalogue.Activation, shape: tuple[int, int, int]) -> None:
    m, n, k = shape
    idx, alpha = ACTS.index(act.name), act.default_alpha
    rng = _rng("dense_backward_input", act.name, shape)
    gs, ws, zs = rng.normal(size=(m, n)), rng.normal(size=(n, k)), rng.normal(scale=2.0, size=(m, k))
    ys = ACT_REFS[act.name][0](zs, alpha)
    a = Arena()
    g, w, z, y, out = a.put(gs), a.put(ws), a.put(zs), a.put(ys), a.out(m * k)
    data = a.build()
    lib.w_dense_backward_input(data, idx, alpha, g, w, z, y, out, m, n, k)
    name, groups = _last(lib)
    assert name == f"dense_backward_input_{act.name if act.elementwise else 'identity'}"
    assert groups == (-(-k // 64), -(-m // 64), 1)
    a.check_gaps()
    d = gs @ ws
    want = d * ACT_REFS[act.name][1](zs, alpha) if act.elementwise else d
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
        library.w_dense_forward(data, ACTS.index("leaky_relu"), 0.01, x, w, b, z, y, m, n, k)
        library.w_weight_grad(data, g, x, dw, m, n, k)
        library.w_dense_backward_input(data, ACTS.index("relu"), 0.0, g, w, x, x, d, m, n, k)
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
    lib.w_softmax_backward(data, g, y, out, rows, cols)
    assert _last(lib) == ("softmax_backward", (-(-rows // 64), 1, 1))
    a.check_gaps()
    want = ys * (gs - (gs * ys).sum(axis=1, keepdims=True))
    _close(a.get(out, shape), want, 1e-5, 1e-6)
    lib.w_softmax_backward(data, g, y, g, rows, cols)  # in place
    _close(a.get(g, shape), want, 1e-5, 1e-6)
    lib.w_softmax_rows(data, z, z, rows, cols)  # in place
    _close(a.get(z, shape), _softmax(zs), 1e-5, 1e-7)


# ---- Losses -------------------------------------------------------------------------------------------------

def _loss_inputs(loss: catalogue.Loss, shape: tuple[int, int], seed: object,
                 scale: float = 2.0) -> tuple[F64, F64, F64]:
    """(z, y = link(z), t) with moderate z."""
    rng = _rng("loss", loss.name, shape, seed)
    z = rng.normal(scale=scale, size=shape)
    y = ACT_REFS[loss.link][0](z, CAT.activation(loss.link).default_alpha)
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
    link = ACT_REFS[loss.link][0]
    alpha = CAT.activation(loss.link).default_alpha
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
        lib.w_act_backward(data, ACTS.index(link.name), link.default_alpha, g, zo, yo, out, z.size)
    else:
        lib.w_softmax_backward(data, g, yo, out, *z.shape)
    _close(a.get(out, z.shape), g_z, 1e-4, 1e-6)


def test_losses_extreme_inputs_stay_finite(lib: ctypes.CDLL) -> None:
    for loss in CAT.losses:
        z = np.array([[-1000.0, 1000.0, 0.0], [100.0, -100.0, 50.0]])
        y = ACT_REFS[loss.link][0](z, CAT.activation(loss.link).default_alpha)
        t = LOSS_TARGETS[loss.targets](_rng("extreme", loss.name), z.shape)
        for fused in (False, True):
            value, grad = _run_loss(lib, loss, fused, z, y, t)
            assert math.isfinite(value) and np.isfinite(grad).all(), (loss.name, fused, value, grad)
            if fused:
                want_value, want_grad = LOSS_REFS[loss.name][1](z, t)
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


@pytest.mark.parametrize("max_norm", [0.0, 0.5, 1e6], ids=["no_clip", "clip", "clip_inactive"])
@pytest.mark.parametrize("opt", CAT.optimizers, ids=lambda o: o.name)
def test_optimizer_steps(lib: ctypes.CDLL, opt: catalogue.Optimizer, max_norm: float) -> None:
    """Three steps on awkward counts against the NumPy (torch-formula) reference, with weight decay and
    momentum, and gradient clipping by global norm through grad_sumsq."""
    idx = [o.name for o in CAT.optimizers].index(opt.name)
    for count in (1, 7, 127, 300):
        rng = _rng("opt", opt.name, count, max_norm)
        h = _hyper(opt, lr=0.05, weight_decay=0.01, max_norm=max_norm)
        if "momentum" in opt.hyper:
            h["momentum"] = 0.9
        p_ref = rng.normal(size=count).astype(np.float32).astype(np.float64)
        states_ref = [np.zeros(count) for _ in range(opt.state_per_param)]
        a = Arena()
        p = a.put(p_ref)
        g = a.put(np.zeros(count))
        s = a.put(np.zeros(max(1, count * opt.state_per_param)))
        parts = a.put(np.zeros(kernels.SUMSQ_PARTIALS))
        data = a.build()
        for step in range(1, 4):
            grad = rng.normal(size=count) * 3.0
            data[g:g + count] = grad
            grad = grad.astype(np.float32).astype(np.float64)
            h["bc1"], h["bc2"] = 1.0 - h["beta1"] ** step, 1.0 - h["beta2"] ** step
            if max_norm > 0.0:
                lib.w_grad_sumsq(data, g, count, parts)
                grad = grad * min(1.0, max_norm / (np.linalg.norm(grad) + 1e-6))
            hyper = np.array([h[name] for name in HYPER], np.float32)
            lib.w_optimizer_step(data, idx, hyper, p, g, s, count, parts)
            assert _last(lib) == (f"optimizer_step_{opt.name}", (-(-count // 256), 1, 1))
            OPT_REFS[opt.name](p_ref, grad, states_ref, h, step)
            _close(a.get(p, count), p_ref, 1e-5, 1e-6)
            for k, state in enumerate(states_ref):
                _close(a.get(s + k * count, count), state, 1e-5, 1e-6)
        a.check_gaps()


def test_optimizers_match_torch(lib: ctypes.CDLL) -> None:
    """Trajectories of torch.optim.SGD / Adam with clip_grad_norm_, when torch is installed."""
    torch = pytest.importorskip("torch")
    for opt in CAT.optimizers:
        idx = [o.name for o in CAT.optimizers].index(opt.name)
        rng = _rng("torch", opt.name)
        p0 = rng.normal(size=37).astype(np.float32)
        param = torch.nn.Parameter(torch.tensor(p0))
        h = _hyper(opt, lr=0.1, weight_decay=0.02, max_norm=1.0)
        if opt.name == "sgd":
            h["momentum"] = 0.8
            topt = torch.optim.SGD([param], lr=h["lr"], momentum=h["momentum"], weight_decay=h["weight_decay"])
        elif opt.name == "adam":
            topt = torch.optim.Adam([param], lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["epsilon"],
                                    weight_decay=h["weight_decay"])
        else:
            pytest.fail(f"add the torch optimizer for {opt.name}")
        a = Arena()
        p, g = a.put(p0), a.put(np.zeros(37))
        s, parts = a.put(np.zeros(37 * opt.state_per_param)), a.put(np.zeros(kernels.SUMSQ_PARTIALS))
        data = a.build()
        for step in range(1, 6):
            grad = rng.normal(size=37).astype(np.float32)
            param.grad = torch.tensor(grad.copy())
            torch.nn.utils.clip_grad_norm_([param], h["max_norm"])
            topt.step()
            data[g:g + 37] = grad
            h["bc1"], h["bc2"] = 1.0 - h["beta1"] ** step, 1.0 - h["beta2"] ** step
            lib.w_grad_sumsq(data, g, 37, parts)
            lib.w_optimizer_step(data, idx, np.array([h[n] for n in HYPER], np.float32), p, g, s, 37, parts)
            _close(a.get(p, 37), param.detach().numpy(), 1e-5, 1e-5)


def test_losses_match_torch(lib: ctypes.CDLL) -> None:
    """Loss values and gradients of torch's MSELoss / BCELoss / CrossEntropy, when torch is installed."""
    torch = pytest.importorskip("torch")
    fns = {"mse": lambda y, z, t: torch.nn.functional.mse_loss(y, t),
           "bce": lambda y, z, t: torch.nn.functional.binary_cross_entropy(y, t),
           "cce": lambda y, z, t: -(t * torch.log_softmax(z, dim=1)).sum(dim=1).mean()}
    for loss in CAT.losses:
        if loss.name not in fns:
            pytest.fail(f"add the torch loss for {loss.name}")
        z, _, t = _loss_inputs(loss, (9, 4), "torch")
        zt = torch.tensor(z.astype(np.float32), requires_grad=True)
        link = {"identity": lambda v: v, "sigmoid": torch.sigmoid, "softmax": lambda v: torch.softmax(v, dim=1)}
        yt = link[loss.link](zt)
        yt.retain_grad()
        value = fns[loss.name](yt, zt, torch.tensor(t.astype(np.float32)))
        value.backward()
        v_fused, g_z = _run_loss(lib, loss, True, z, yt.detach().numpy().astype(np.float64), t)
        assert v_fused == pytest.approx(value.item(), rel=1e-4)
        _close(g_z, zt.grad.numpy(), 1e-4, 1e-6)
        if loss.name != "cce":  # torch has no probability-input CCE; the generic dL/dy is checked above
            v_generic, g_y = _run_loss(lib, loss, False, z, yt.detach().numpy().astype(np.float64), t)
            assert v_generic == pytest.approx(value.item(), rel=1e-4)
            _close(g_y, yt.grad.numpy(), 1e-4, 1e-6)
