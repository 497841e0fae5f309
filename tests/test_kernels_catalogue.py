"""The kernel catalogue and its generator: tables follow the spec, spec errors name their place, one YAML
entry adds an activation, generated files are stamped, every shader compiles (with glslangValidator, when
installed). Harness: tests/kernel_harness.py."""
from __future__ import annotations

import ctypes
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from kernel_harness import (
    ACT_REFS,
    ACTS,
    CAT,
    HYPER,
    LOSS_REFS,
    NO_PARAMS,
    OPT_REFS,
    Arena,
    _close,
    _last,
    catalogue,
    kernels,
)

# ---- Catalogue and tables -----------------------------------------------------------------------------------

torch = pytest.importorskip("torch")
from init_refs import INIT_REFS

INIT_KINDS = ["constant", "uniform", "normal", "orthogonal"]  # InitDist in initializers.hpp

def test_every_entry_has_a_reference() -> None:
    assert set(ACT_REFS) == {a.name for a in CAT.activations}, "add a NumPy reference to ACT_REFS"
    assert set(LOSS_REFS) == {x.name for x in CAT.losses}, "add a NumPy reference to LOSS_REFS"
    assert set(OPT_REFS) == {o.name for o in CAT.optimizers}, "add a NumPy reference to OPT_REFS"
    # Initializers: tests/init_refs.py (test_initializers.py checks the rows cover the spec).


def test_tables_follow_the_spec(lib: ctypes.CDLL) -> None:
    assert [lib.w_count(i) for i in range(4)] == [len(CAT.activations), len(CAT.losses), len(CAT.optimizers),
                                                   len(CAT.initializers)]
    for i, a in enumerate(CAT.activations):
        assert lib.w_act_name(i).decode() == a.name and lib.w_act_enum(i).decode() == a.enum_name
        assert bool(lib.w_act_elementwise(i)) == a.elementwise
        assert lib.w_act_alpha(i) == pytest.approx(a.default_alpha)
        assert lib.w_act_from_name(a.name.encode()) == i
        assert all(lib.w_act_from_name(alias.encode()) == i for alias in a.aliases)
        defaults = np.zeros(catalogue.ACT_PARAM_SLOTS, np.float32)
        assert lib.w_act_params(i, defaults) == len(a.params)
        assert [lib.w_act_param_name(i, k).decode() for k in range(len(a.params))] == list(a.params)
        _close(defaults, [*a.params.values()] + [0.0] * (catalogue.ACT_PARAM_SLOTS - len(a.params)), 1e-7, 0)
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
        ref = INIT_REFS[init.name]
        for fan_in, fan_out in ((784, 256), (4, 32), (1, 1)):
            for bias, dist in ((0, ref.weight(init.defaults(), fan_in, fan_out)),
                               (1, ref.bias(init.defaults(), fan_in, fan_out))):
                out = np.zeros(2, np.float64)
                kind = lib.w_init_draw(i, fan_in, fan_out, bias, out)
                assert INIT_KINDS[kind] == dist[0], (init.name, bias)
                # normal's reference is (mean, std), uniform's (low, high), constant's and orthogonal's one value
                _close(out[: len(dist) - 1], dist[1:], 1e-6, 1e-7)
        out = np.zeros(2, np.float64)
        lib.w_init_draw(i, 0, 0, 0, out)
        assert np.isfinite(out).all()  # fans of 0 count as 1
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
    lib.w_dense_forward(data, 99, NO_PARAMS, x, x, x, x, x, 1, 1, 1)
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
    ("activations", "aliases: [swish]", "aliases: [relu]", "activations[silu].aliases: duplicate name 'relu'"),
    ("activations", "params: {lambd: 0.5}", "params: {a: 1.0, b: 1.0, c: 1.0, d: 1.0, e: 1.0}",
     "activations[softshrink].params: expected a map name -> default of at most 4"),
    ("activations", "params: {alpha: 1.0}", "params: {min: 1.0}", "activations[elu].params: bad parameter name 'min'"),
    ("activations", "kinks: [min_val, max_val]", "kinks: [min_val, top]",
     "activations[hard_tanh].kinks: unknown identifier 'top'"),
    ("losses", "link: sigmoid", "link: sigmod", "losses[bce].link: unknown activation 'sigmod'"),
    ("losses", '    grad: "2.0 * (y - t)"\n', "", "losses[mse]: missing required key 'grad'"),
    ("losses", '"lk_softplus(z) - z * t"', '"lk_softplus(z) - z * q"', "losses[bce].fused_value: unknown identifier"),
    ("losses", "params: {delta: 1.0}", "params: {t: 1.0}", "losses[huber].params: bad parameter name 't'"),
    ("losses", "params: {margin: 1.0}\n    value: \"lk_max(margin - t * y, 0.0)\"",
     "params: {margin: 1.0}\n    value: \"lk_max(margn - t * y, 0.0)\"", "losses[hinge].value: unknown identifier 'margn'"),
    ("losses", "params: {log_input: 1.0, eps: 1.0e-8}", "params: {a: 1.0, b: 1.0, c: 1.0, d: 1.0, e: 1.0}",
     "losses[poisson_nll].params: expected a map name -> default of at most 4"),
    ("losses", "targets: sign", "targets: signs", "losses[hinge].targets: expected one of"),
    ("losses", 'row: {dot: "y * t",', 'row: {t: "y * t",', "losses[cosine_similarity].row: bad row sum name 't'"),
    ("losses", 'yy: "y * y"', 'yy: "y * q"', "losses[cosine_similarity].row: row sum 'yy': unknown identifier 'q'"),
    ("optimizers", "p = p - lr * g;", "p = p - lr * s1;", "optimizers[sgd].update: unknown identifier 's1'"),
    ("optimizers", "s0 = first > 0.5", "lr = first > 0.5", "optimizers[sgd].update: cannot assign 'lr'"),
    ("optimizers", "p = p - lr * g;", "p = p - lr * g", "optimizers[sgd].update: statement"),
    ("optimizers", "state_per_param: 3", "state_per_param: 9", "optimizers[adam].state_per_param: expected"),
    ("optimizers", 'first: "t == 1.0 ? 1.0 : 0.0"', 'first: "u == 1.0 ? 1.0 : 0.0"',
     "optimizers[sgd].host: first: unknown identifier 'u'"),
    ("optimizers", "state_if: {s0: momentum}", "state_if: {s3: momentum}", "optimizers[sgd].state_if: 's3'"),
    ("initializers", 'weight: {normal: {std: "lk_sqrt(2.0 / fan_in)"}}', 'weight: {gaussian: {std: "1.0"}}',
     "initializers[kaiming].weight: expected one of {normal: ...}"),
    ("initializers", 'weight: {normal: {std: "gain *', 'weight: {normal: {sd: "gain *',
     "initializers[xavier_normal].weight: normal: expected keys mean, std"),
    ("initializers", "params: {a: 0.0, mode: fan_in, nonlinearity: leaky_relu}\n    weight: {normal",
     "params: {a: 0.0, mode: fan_sideways, nonlinearity: leaky_relu}\n    weight: {normal",
     "initializers[kaiming_normal].params: mode: 'fan_sideways' is not an option"),
    ("initializers", 'weight: {constant: "val"}', 'weight: {constant: "value"}',
     "initializers[constant].weight: constant: unknown identifier 'value'"),
    ("initializers", '- ["a <= b",', '- ["a <= c",', "initializers[uniform].checks: unknown identifier 'c'"),
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
    spec = _spec_copy(tmp_path, "activations", "  - name: softmax", """  - name: my_softplus
    doc: "y = log(1 + exp(x))."
    forward: "lk_softplus(x)"
    derivative: "lk_sigmoid(x)"
    domain: [-10.0, 10.0]
    tolerance: {rtol: 1.0e-5, atol: 1.0e-6}

  - name: softmax""")
    cat = catalogue.load(spec)
    files = kernels.render(cat)
    for family in ("dense_forward", "act_forward", "act_backward", "dense_backward_input"):
        assert f"glsl/{family}_my_softplus.comp" in files
        assert f"Kernel::{family.upper()}_MY_SOFTPLUS" in files["kernels.cpp"]
    assert "    MY_SOFTPLUS," in files["kernels.hpp"] and "struct Act_my_softplus" in files["cpu_kernels.cpp"]
    assert "## my_softplus" in files["activations.md"]


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


GLSLANG = shutil.which("glslangValidator")


@pytest.mark.skipif(GLSLANG is None, reason="glslangValidator is not installed (Debian: apt-get install glslang-tools)")
def test_every_shader_compiles_to_spirv(gen_dir: Path, tmp_path: Path) -> None:
    """Every generated shader is valid GLSL 4.50 for Vulkan. Without this, a GLSL error shows only when Godot
    compiles the pipeline on a machine with a GPU backend (the CPU tests never see the GLSL)."""
    shaders = sorted((gen_dir / "glsl").glob("*.comp"))
    assert len(shaders) == len(kernels.variants(CAT))

    def compile_one(path: Path) -> str:
        cmd = [str(GLSLANG), "-V", "--target-env", "vulkan1.0", "-o", str(tmp_path / f"{path.stem}.spv"), str(path)]
        result = subprocess.run(cmd, check=False, capture_output=True, text=True)
        return "" if result.returncode == 0 else f"{path.name}:\n{result.stdout}{result.stderr}"

    with ThreadPoolExecutor(max_workers=4) as pool:
        errors = [e for e in pool.map(compile_one, shaders) if e]
    assert not errors, "\n".join(errors)
