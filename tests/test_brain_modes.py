"""LKBrain's process_callback, flat calls and jobs started on its trainer directly, on each backend, in one real
scene loop per backend (godot_project/tests/brain_modes.gd):

- process_callback "physics" trains in physics frames only (Engine.is_in_physics_frame() at every online_trained,
  one step per physics tick, fewer ticks than process frames), "idle" in process frames only, "manual" only in
  train_online(); the node's processing flags follow; the value is saved in a scene; a bad value is an error;
- the flat online path gives LKTrainer.step() on LKReplayBuffer.sample(batch_size, n), bit for bit;
- step_flat() equals step(), predict_flat() equals predict() and NumPy's forward pass; add_flat() equals
  add_batch(); bad flat input is an error naming the call, with nothing changed;
- a fit_async() job started on brain.trainer by the game: no error while it runs, `training` true, no online
  step; step()/step_flat()/train_online()/fit_async() one error each; predict() answers; learning resumes after.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import scene_check, tail

pytestmark = pytest.mark.usefixtures("godot_ready")

@pytest.fixture(params=["cpu", "gpu"])
def run(request: pytest.FixtureRequest) -> dict:
    rc, output, data = scene_check("brain_modes.gd", request.param)
    assert rc == 0 and data, f"brain_modes.gd failed (exit {rc}):\n{tail(output)}"
    return data


def forward(params: list, x: np.ndarray) -> np.ndarray:
    """The 2-8-1 tanh network of brain_modes.gd in NumPy (float64)."""
    w1, b1, w2, b2 = (np.array(p, dtype=np.float64) for p in params)
    h = np.tanh(x @ w1.reshape(8, 2).T + b1)
    return h @ w2.reshape(1, 8).T + b2


def test_default_is_idle_and_the_inspector_shows_a_drop_down(run: dict) -> None:
    assert run["default_callback"] == "idle"
    assert run["callback_property"] == {"hint": True, "hint_string": "idle,physics,manual", "editor": True,
                                        "storage": True}


def test_physics_trains_in_physics_frames_only(run: dict) -> None:
    p = run["physics"]
    assert p["trained_in_idle"] == 0, "no online step outside a physics frame"
    assert p["physics_frames"] >= 8 and p["physics_frames"] < p["process_frames"], p
    assert abs(p["trained_in_physics"] - p["physics_frames"]) <= 1, "one online step per physics tick"
    assert p["steps"] == p["trained_in_physics"]
    assert not p["processing"] and p["physics_processing"]
    assert p["errors"] == []


def test_physics_steps_equal_trainer_steps_on_the_buffer_samples(run: dict) -> None:
    assert run["physics_steps"] >= 5
    assert run["physics_params_changed"]
    assert run["physics_params_equal_trainer"], "the flat online path must give LKTrainer.step()'s numbers"


def test_manual_trains_only_on_calls(run: dict) -> None:
    m = run["manual"]
    assert m["steps"] == 0 and m["trained_in_idle"] == 0 and m["trained_in_physics"] == 0
    assert m["process_frames"] >= 20 and m["physics_frames"] >= 3
    assert not m["processing"] and not m["physics_processing"]
    assert run["manual_call"] == {"steps": 3, "loss_finite": True, "errors": []}


def test_idle_trains_in_process_frames_only(run: dict) -> None:
    i = run["idle"]
    assert i["trained_in_physics"] == 0
    assert abs(i["trained_in_idle"] - i["process_frames"]) <= 1 and i["steps"] == i["trained_in_idle"]
    assert i["processing"] and not i["physics_processing"]
    o = run["off"]
    assert o["steps"] == 0 and not o["processing"] and not o["physics_processing"]
    assert i["errors"] == [] and o["errors"] == []


def test_a_script_keeps_its_own_process(run: dict) -> None:
    assert run["script_process_ticks"] == 5, "online_learning = false must not stop a script's _process"


def test_process_callback_is_stored_and_checked(run: dict) -> None:
    assert run["stored_callback"] == "physics"
    bad = run["bad_callback"]
    assert bad["value"] == "physics"
    assert len(bad["errors"]) == 1 and "LKBrain.process_callback" in bad["errors"][0] and '"late"' in bad["errors"][0]


def test_flat_calls_equal_their_array_twins(run: dict) -> None:
    assert run["flat_step_flat_loss"] == run["flat_step_loss"]
    assert run["flat_params_equal"]
    assert run["flat_last_loss"] == run["flat_step_flat_loss"][-1]
    assert run["flat_predict"] == run["flat_predict_rows"]
    x = np.array(run["flat_inputs"], dtype=np.float64).reshape(-1, 2)
    np.testing.assert_allclose(run["flat_predict"], forward(run["flat_params"], x).ravel(), atol=2e-6)
    assert run["add_flat_ok"] == 0 and run["add_flat_same"]
    assert run["flat_errors"] == []


BAD_FLAT = {
    "step_flat_rows_zero": ("LKBrain.step_flat", "nan"), "step_flat_short": ("LKBrain.step_flat", "nan"),
    "step_flat_targets_short": ("LKBrain.step_flat", "nan"), "step_flat_nan": ("LKBrain.step_flat", "nan"),
    "predict_flat_short": ("LKNetwork.predict_flat", {"size": 0}),
    "predict_flat_rows_zero": ("LKNetwork.predict_flat", {"size": 0}),
    "predict_flat_no_network": ("LKBrain.predict_flat", {"size": 0}),
    "step_flat_no_network": ("LKBrain.step_flat", "nan"), "add_flat_rows_zero": ("LKReplayBuffer.add_flat", 31),
    "add_flat_ragged": ("LKReplayBuffer.add_flat", 31), "add_flat_nan": ("LKReplayBuffer.add_flat", 31),
    "add_flat_width": ("LKReplayBuffer.add_flat", 31), "remember_target_width": ("LKBrain.remember", 31),
    "remember_target_number_width": ("LKBrain.remember", 31),
}


@pytest.mark.parametrize("key", list(BAD_FLAT))
def test_bad_flat_input_is_an_error(run: dict, key: str) -> None:
    where, want = BAD_FLAT[key]
    got = run["flat_bad"][key]
    assert len(got["errors"]) == 1 and "ERROR" in got["errors"][0] and where in got["errors"][0], got["errors"]
    assert got["value"] == want


def test_bad_flat_input_changes_nothing(run: dict) -> None:
    assert run["flat_params_after_bad"]
    assert run["add_flat_size_after_bad"] == 16
    assert run["remember_size_after_bad"] == 64, "a target row of the wrong width is refused at remember()"


def test_a_job_on_the_trainer_pauses_online_learning_quietly(run: dict) -> None:
    assert run["foreign_steps_before_job"] == 5, "one online step per frame before the job"
    assert run["foreign_job_started"] and run["foreign_running"]
    assert run["foreign_training"], "training is true while a job of its trainer runs"
    assert run["foreign_brain_job_null"], "brain.job is the brain's own fit_async() job only"
    assert run["foreign_steps_while"] == 0
    assert run["foreign_frame_errors"] == [], "online learning skips those frames without an error"
    assert run["foreign_predict"] == {"value": 64, "errors": []}, "predict answers (parameters from before the fit)"


@pytest.mark.parametrize("call", ["step", "step_flat", "train_online", "fit_async"])
def test_training_calls_during_a_trainer_job_give_one_error(run: dict, call: str) -> None:
    got = run[f"foreign_{call}"]
    assert got["value"] == (None if call == "fit_async" else "nan")
    assert len(got["errors"]) == 1, got["errors"]
    assert f"LKBrain.{call}" in got["errors"][0] and "brain.trainer" in got["errors"][0]


def test_learning_resumes_after_the_job(run: dict) -> None:
    assert not run["foreign_training_after"]
    assert run["foreign_steps_after"] >= 8, "one online step per frame again (10 frames)"
    assert run["foreign_errors_after"] == []
    assert run["stray_errors"] == []
