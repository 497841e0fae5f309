"""The extension story, end to end: one new entry in a COPY of codegen/spec/activations.yaml, `scons` in that
copy, and the new activation works by name from GDScript on both backends (fused into a dense layer's GEMM with
its default parameter, and as an `activation` op with another value), matching NumPy. The real tree is never
written: the copy holds the tracked and untracked (not ignored) files plus the build outputs (build/,
.sconsign.dblite, the installed library, Godot's .godot cache), so the build there only recompiles what the new
entry changes. Takes about 2-3 minutes on 2 cores (most of the C++ includes the generated catalogue header).
LEARNKIT_SKIP_EXTENSION_TEST=1 skips it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import conftest
import numpy as np
import pytest
from lk import dec, enc, ok

pytestmark = pytest.mark.usefixtures("godot_ready")

ROOT = Path(__file__).resolve().parent.parent
NAME = "test_cubic_soft"
ENTRY = f"""
  - name: {NAME}
    doc: "y = k x^3 / (1 + x^2): a temporary entry of tests/test_extension_spec.py."
    params: {{k: 0.5}}
    forward: "k * x * x * x / (1.0 + x * x)"
    derivative: "k * (x * x * x * x + 3.0 * x * x) / ((1.0 + x * x) * (1.0 + x * x))"
    domain: [-5.0, 5.0]
    tolerance: {{rtol: 1.0e-5, atol: 1.0e-6}}
"""
# Build outputs the copy starts from (ignored by git, so not in ls-files).
BUILD_OUTPUTS = ["build", ".sconsign.dblite", "godot_project/addons/learnkit/bin",
                 "godot_project/addons/learnkit/learnkit.gdextension", "godot_project/.godot"]


def cubic_soft(z: np.ndarray, k: float) -> np.ndarray:
    z = z.astype(np.float64)
    return k * z**3 / (1.0 + z * z)


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("LEARNKIT_SKIP_EXTENSION_TEST") == "1":
        pytest.skip("LEARNKIT_SKIP_EXTENSION_TEST=1")
    if not shutil.which("git") or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout (the copy is the files git tracks or would track)")
    dst = tmp_path_factory.mktemp("extension") / "learnkit"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)
    for rel in BUILD_OUTPUTS:
        src = ROOT / rel
        if src.is_dir():
            shutil.copytree(src, dst / rel, symlinks=True)
        elif src.exists():
            shutil.copy2(src, dst / rel)
    spec = dst / "codegen" / "spec" / "activations.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").rstrip("\n") + "\n" + ENTRY, encoding="utf-8")
    scons = Path(sys.executable).with_name("scons")
    build = subprocess.run([str(scons) if scons.exists() else "scons", "-Q", f"-j{max(2, os.cpu_count() or 2)}"],
                           cwd=dst, capture_output=True, text=True, timeout=900, check=False)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    return dst


def test_the_copy_has_the_entry_and_the_real_tree_does_not(copy: Path) -> None:
    assert NAME.upper() in (copy / "build" / "gen" / "kernels" / "kernels.hpp").read_text(encoding="utf-8")
    assert NAME not in (ROOT / "codegen" / "spec" / "activations.yaml").read_text(encoding="utf-8")
    real = ROOT / "build" / "gen" / "kernels" / "kernels.hpp"
    assert not real.exists() or NAME.upper() not in real.read_text(encoding="utf-8")


@pytest.mark.parametrize("backend", ["cpu", "gpu"])
def test_the_new_activation_works_by_name(copy: Path, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if backend not in conftest.enabled_backends():
        pytest.skip(f"backend {backend!r} is off (LEARNKIT_BACKENDS)")
    rng = np.random.default_rng(5)
    x = rng.uniform(-3.0, 3.0, (7, 3)).astype(np.float32)
    w = rng.normal(0.0, 1.0, (4, 3)).astype(np.float32)
    b = rng.normal(0.0, 0.5, 4).astype(np.float32)
    dense = {"weight": enc(w.reshape(-1)), "bias": enc(b)}
    cases = [
        # fused into the dense GEMM's epilogue, with the spec's default k (the alpha argument is not k: ignored)
        {"id": "fused", "kind": "ops.forward", "sequential": [["dense", 3, 4, NAME, 0.0]], "tensors": [dense],
         "x": enc(x), "device": backend},
        # a standalone activation op with k set by name
        {"id": "op", "kind": "ops.forward", "device": backend, "x": enc(x), "tensors": [dense],
         "sequential": [["dense", 3, 4, "identity", 0.0], ["layer", "activation", {"activation": NAME, "k": 0.75}]]},
    ]
    monkeypatch.setattr(conftest, "ROOT", copy)
    monkeypatch.setattr(conftest, "GODOT", copy / "tools" / "godot")
    results = conftest.run_cases(cases, headless=backend == "cpu")
    z = x.astype(np.float64) @ w.T.astype(np.float64) + b
    for cid, k in (("fused", 0.5), ("op", 0.75)):
        r = ok(results[cid])
        assert not r["errors"], r["errors"]
        assert r["backend"] == backend, r["backend"]
        np.testing.assert_allclose(dec(r["y"]), cubic_soft(z, k), rtol=1e-5, atol=1e-6, err_msg=cid)
