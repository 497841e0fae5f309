"""The test machinery itself: runner.gd's contract and run_cases()'s crash recovery (no extension needed)."""

from __future__ import annotations

import pytest
from conftest import GodotRunError, enabled_backends, launch_godot, run_cases

MODES = [pytest.param(True, id="headless"), pytest.param(False, id="display")]


@pytest.fixture(scope="module", params=MODES)
def selftest(request: pytest.FixtureRequest):
    headless = request.param
    if not headless and "gpu" not in enabled_backends():
        pytest.skip("display runs are off (LEARNKIT_BACKENDS)")
    cases = [
        {"id": "echo", "kind": "selftest.echo", "value": [1, 2.5, "x", {"k": None}]},
        {"id": "pushes", "kind": "selftest.push_error_case", "message": "bad width 127 (expected 4)"},
        {"id": "script-error", "kind": "selftest.script_error"},
        {"id": "reported", "kind": "selftest.reported_failure", "message": "numbers are off"},
        {"id": "unknown-area", "kind": "nosuch.case"},
        {"id": "unknown-name", "kind": "selftest.nosuch"},
        {"id": "bad-kind", "kind": "selftest"},
        {"id": "device", "kind": "selftest.rendering_device"},
    ]
    return headless, run_cases(cases, headless=headless)


def test_values_round_trip(selftest) -> None:
    _, r = selftest
    assert r["echo"]["ok"] and r["echo"]["value"] == [1, 2.5, "x", {"k": None}]


def test_push_error_is_listed_and_not_a_failure(selftest) -> None:
    _, r = selftest
    assert r["pushes"]["ok"] and r["pushes"]["pushed"]
    assert any(e.startswith("ERROR: bad width 127 (expected 4)") for e in r["pushes"]["errors"])
    assert "ERROR: bad width 127" in r.output


def test_script_error_fails_only_its_case(selftest) -> None:
    _, r = selftest
    assert not r["script-error"]["ok"]
    assert "SCRIPT ERROR" in r["script-error"]["error"] and "null" in r["script-error"]["error"]
    assert r["device"]["ok"], "the cases after a script error must still run"


def test_reported_failure(selftest) -> None:
    _, r = selftest
    assert not r["reported"]["ok"] and r["reported"]["error"] == "numbers are off"


@pytest.mark.parametrize(("case", "words"), [("unknown-area", "unknown case area 'nosuch'"),
                                             ("unknown-name", "no static function 'nosuch'"),
                                             ("bad-kind", "bad kind 'selftest'")])
def test_bad_kinds_are_reported(selftest, case: str, words: str) -> None:
    _, r = selftest
    assert not r[case]["ok"] and words in r[case]["error"]


def test_rendering_device_only_with_a_display(selftest) -> None:
    headless, r = selftest
    assert r["device"]["has_rendering_device"] is (not headless)
    assert r.exit_codes == [0]


def test_crash_is_pinned_on_its_case_and_the_rest_still_runs() -> None:
    cases = [{"id": "before", "kind": "selftest.echo", "value": 1},
             {"id": "boom", "kind": "selftest.crash", "really": True},
             {"id": "after", "kind": "selftest.echo", "value": 2}]
    r = run_cases(cases, headless=True)
    assert r["before"]["ok"] and r["after"]["ok"] and r["after"]["value"] == 2
    assert not r["boom"]["ok"] and "during this case" in r["boom"]["error"]
    assert r.exit_codes[0] != 0 and r.exit_codes[-1] == 0


def test_runner_failure_raises_with_output() -> None:
    # json.dumps writes NaN as a bare `NaN`, which is not JSON: the runner rejects the whole file (exit code 2).
    with pytest.raises(GodotRunError, match="before running any case"):
        run_cases([{"id": "x", "kind": "selftest.echo", "value": float("nan")}], headless=True)


def test_runner_usage_error_exits_2() -> None:
    rc, output = launch_godot(["-s", "res://tests/runner.gd", "--", "--cases"], headless=True)
    assert rc == 2 and "usage" in output


@pytest.mark.usefixtures("godot_ready")
def test_extension_loads_and_godot_exits_cleanly() -> None:
    r = run_cases([{"id": "device", "kind": "selftest.rendering_device"}], headless=True)
    assert r["device"]["has_learnkit"], f"the LearnKit singleton is missing:\n{r.output[-3000:]}"
    assert r.exit_codes == [0]
    assert "ERROR" not in r.output, r.output
