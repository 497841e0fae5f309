"""pytest plumbing: run batches of GDScript test cases in Godot (godot_project/tests/runner.gd) and read results.

The suite assumes the extension was built (`scons && python -m pytest -q tests`). Each Godot launch costs seconds,
so a test module collects all its cases and runs them in one launch per backend (`BackendResults`); its tests
then read their own result by case id.

Backends: "cpu" runs Godot headless (no RenderingDevice there), "gpu" runs it with a display (Xvfb when there
is none) and Vulkan (lavapipe on a machine without a GPU). LEARNKIT_BACKENDS=cpu limits the suite to the CPU.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from lk import BACKENDS, for_backend

ROOT = Path(__file__).resolve().parent.parent
GODOT = ROOT / "tools" / "godot"
OUTPUT_TAIL = 4000  # characters of Godot's output quoted in failures
MAX_RELAUNCHES = 4  # after this many crashes in one batch, the remaining cases are reported as not run


class GodotRunError(RuntimeError):
    """The runner itself failed (bad arguments, Godot did not start, the extension failed to load...)."""


class Results(dict):
    """Results by case id; ``output`` holds everything Godot printed, ``seconds`` the wall time of the batch."""

    output: str = ""
    seconds: float = 0.0
    exit_codes: list[int]  # one per launch


def enabled_backends() -> tuple[str, ...]:
    wanted = os.environ.get("LEARNKIT_BACKENDS", ",".join(BACKENDS)).split(",")
    return tuple(b for b in BACKENDS if b in wanted)


def launch_godot(args: list[str], headless: bool) -> tuple[int, str]:
    """Runs tools/godot with ``args``; returns its exit code and its output (stdout and stderr together)."""
    cmd = [str(GODOT), *(["--headless"] if headless else []), *args]
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def run_cases(cases: list[dict], headless: bool) -> Results:
    """Runs the cases in one Godot launch; returns {id: result}.

    A case that crashes Godot gets a result with ok False and the output's tail; the cases after it run in a new
    launch. Raises GodotRunError with the output's tail when the runner itself fails.
    """
    ids = [c["id"] for c in cases]
    if len(set(ids)) != len(ids):
        raise ValueError("case ids must be unique")
    results = Results()
    results.exit_codes = []
    outputs = []
    started = time.monotonic()
    remaining = list(cases)
    with tempfile.TemporaryDirectory(prefix="learnkit-cases-") as tmp:
        for attempt in range(MAX_RELAUNCHES + 1):
            if not remaining:
                break
            cases_path, out_path = Path(tmp, f"cases{attempt}.json"), Path(tmp, f"results{attempt}.json")
            cases_path.write_text(json.dumps(remaining))
            rc, output = launch_godot(["-s", "res://tests/runner.gd", "--", "--cases", str(cases_path),
                                       "--out", str(out_path)], headless)
            outputs.append(output)
            results.exit_codes.append(rc)
            if rc == 0 and out_path.exists():
                for r in json.loads(out_path.read_text(), strict=False):  # Godot writes control characters raw
                    results[r["id"]] = r
                remaining = []
                break
            done, started_id = read_progress(Path(f"{out_path}.progress"))
            results.update(done)
            if started_id is None:
                if not done:  # Nothing ran: the runner itself is broken.
                    raise GodotRunError(f"Godot exited with {rc} before running any case.\n{tail(output)}")
                # Every case finished, then Godot failed (e.g. a crash at exit): keep the results,
                # exit_codes tells (test_runner.py checks a clean exit).
                remaining = [c for c in remaining if c["id"] not in results]
                continue
            why = " (LEARNKIT_GODOT_TIMEOUT ran out)" if rc in (124, 137) else ""
            results[started_id] = {"id": started_id, "ok": False, "errors": [],
                                   "error": f"Godot exited with {rc}{why} during this case:\n{tail(output)}"}
            remaining = [c for c in remaining if c["id"] not in results]
        for c in remaining:
            results[c["id"]] = {"id": c["id"], "ok": False, "errors": [],
                                "error": f"not run: Godot crashed {MAX_RELAUNCHES + 1} times in this batch"}
    results.output = "\n".join(outputs)
    results.seconds = time.monotonic() - started
    missing = set(ids) - set(results)
    if missing:
        raise GodotRunError(f"the runner returned no result for {sorted(missing)}.\n{tail(results.output)}")
    return results


def read_progress(path: Path) -> tuple[dict[str, dict], str | None]:
    """The finished results in a runner's progress file, and the id of the case it was running (if any)."""
    done: dict[str, dict] = {}
    current = None
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                event = json.loads(line, strict=False)
            except json.JSONDecodeError:
                break  # A line cut short by the crash.
            if "start" in event:
                current = event["start"]
            else:
                done[event["id"]] = event
                current = None
    return done, current


def tail(output: str) -> str:
    return output if len(output) <= OUTPUT_TAIL else "...\n" + output[-OUTPUT_TAIL:]


_SCENE_RUNS: dict[tuple[str, ...], tuple[int, str, dict]] = {}


def scene_check(script: str, backend: str, *options: str) -> tuple[int, str, dict]:
    """Runs a scene-loop check (godot_project/tests/<script>, extending scene_check.gd) once per session for each
    backend and options: `--device backend --out <a temporary JSON file>` then `options`, in a window for the GPU
    (headless for the CPU). Skips a backend that LEARNKIT_BACKENDS turns off. Returns the exit code, the output and
    the JSON the script wrote ({} when it wrote none)."""
    if backend not in enabled_backends():
        pytest.skip(f"backend {backend!r} is off (LEARNKIT_BACKENDS)")
    key = (script, backend, *options)
    if key not in _SCENE_RUNS:
        with tempfile.TemporaryDirectory(prefix="learnkit-scene-") as tmp:
            out = Path(tmp, "out.json")
            rc, output = launch_godot(["-s", f"res://tests/{script}", "--", "--device", backend, "--out", str(out),
                                       *options], headless=backend == "cpu")
            data = json.loads(out.read_text(), strict=False) if out.exists() else {}
        _SCENE_RUNS[key] = (rc, output, data)
    return _SCENE_RUNS[key]


class BackendResults:
    """A test module's cases, run once per backend on first use: ``results["gpu"]["case-id"]``.

    ``make_cases(backend)`` may build backend-specific cases (e.g. temporary paths); each case's "device" is
    set to the backend unless it names one.
    """

    def __init__(self, make_cases: Callable[[str], Iterable[dict]]):
        self._make_cases = make_cases
        self._results: dict[str, Results] = {}

    def __getitem__(self, backend: str) -> Results:
        if backend not in enabled_backends():
            pytest.skip(f"backend {backend!r} is off (LEARNKIT_BACKENDS)")
        if backend not in self._results:
            cases = for_backend(self._make_cases(backend), backend)
            self._results[backend] = run_cases(cases, headless=backend == "cpu")
        return self._results[backend]


@pytest.fixture(scope="session")
def godot_ready() -> None:
    """Fails early, with a clear message, when the extension was not built."""
    if not (ROOT / "godot_project" / "addons" / "learnkit" / "learnkit.gdextension").exists():
        pytest.fail("the LearnKit extension is not built: run `scons` first (the test command is "
                    "`scons && python -m pytest -q tests`)")


# Session fixtures of the CPU kernel tests (tests/test_kernels_*.py): the generated kernels built once.
from kernel_harness import baseline_lib, gen_dir, lib  # noqa: F401
