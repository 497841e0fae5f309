"""LKBrain (a Node holding an LKNetwork resource) and LKReplayBuffer, on each backend, in one real scene loop per
backend (godot_project/tests/brain_loop.gd):

- a scene (tests/brain_scene.tscn) whose LKBrain's network is a saved .tres predicts exactly as the network, and
  as NumPy's forward pass of its parameters;
- brain.step() changes the weights exactly as LKTrainer.step() on the same data and settings, and an SGD step
  matches NumPy's backpropagation;
- fit_async() through the brain: the node re-emits epoch_completed, progress and training_finished on the main
  thread, in order, and the result is LKTrainer.fit()'s; while the job runs the brain refuses other training;
  freeing the node while its job runs does not crash (an unheld job is cancelled, a held one goes on);
- online learning: a game loop remembers samples of f(x) = 0.6 x0 - 0.4 x1 + 0.3 x0 x1 each frame and the brain,
  training from its replay buffer in its process notification, gets the grid's MSE below 0.005 (NumPy's forward
  pass of the final parameters checks the predictions);
- the replay buffer keeps the newest `capacity` pairs in order and samples uniformly with replacement: the
  indices are SplitMix64's (reimplemented here), reproducible per seed, and pass a chi-square test;
- bad input is an error naming the call, with a null / NAN / empty result or the property unchanged.
"""

from __future__ import annotations

import json
import re
import textwrap

import numpy as np
import pytest
from conftest import ROOT, launch_godot, scene_check, tail

pytestmark = pytest.mark.usefixtures("godot_ready")

@pytest.fixture(params=["cpu", "gpu"])
def run(request: pytest.FixtureRequest) -> dict:
    rc, output, data = scene_check("brain_loop.gd", request.param)
    assert rc == 0 and data, f"brain_loop.gd failed (exit {rc}):\n{tail(output)}"
    return data


def forward(params: list, x: np.ndarray) -> np.ndarray:
    """The 2-8-1 tanh network of brain_loop.gd in NumPy (float64)."""
    w1, b1, w2, b2 = (np.array(p, dtype=np.float64) for p in params)
    h = np.tanh(x @ w1.reshape(8, 2).T + b1)
    return h @ w2.reshape(1, 8).T + b2


def f(x: np.ndarray) -> np.ndarray:
    return (0.6 * x[:, 0] - 0.4 * x[:, 1] + 0.3 * x[:, 0] * x[:, 1])[:, None]


def rows(flat: list, width: int) -> np.ndarray:
    return np.array(flat, dtype=np.float64).reshape(-1, width)


def test_scene_brain_predicts_like_its_network(run: dict) -> None:
    assert run["scene_class"] == "LKBrain" and run["scene_is_brain"]
    assert run["scene_network_is_tres"], "the brain's network is the saved .tres resource"
    assert run["scene_settings"] == {"learning_rate": 0.01, "batch_size": 16, "steps_per_frame": 4,
                                     "frame_budget_ms": 50.0, "replay_capacity": 256, "loss": "mse",
                                     "optimizer": "adam", "online_learning": True}
    assert run["scene_brain_predict"] == run["scene_net_predict"] == run["scene_predict_one"]
    x = rows(run["scene_inputs"], 2)
    np.testing.assert_allclose(rows(run["scene_brain_predict"], 1), forward(run["scene_params"], x), atol=2e-6)
    np.testing.assert_allclose(run["scene_predict_one_array"], forward(run["scene_params"], np.array([[0.25, -0.5]]))[0],
                               atol=2e-6)
    assert run["scene_errors"] == []


def test_step_changes_weights_as_trainer_step(run: dict) -> None:
    assert run["step_brain_loss"] == run["step_trainer_loss"]
    assert run["step_brain_params"] == run["step_trainer_params"]
    assert run["step_brain_params"] != run["step_before"]
    assert run["step_last_loss"] == run["step_brain_loss"][-1]
    assert run["step_errors"] == []


def test_sgd_step_matches_numpy(run: dict) -> None:
    """brain.optimizer = "sgd", learning_rate 0.1: one step of plain gradient descent on the mean squared error."""
    assert run["sgd_trainer_optimizer"] == "sgd"
    x, t = rows(run["sgd_inputs"], 2), rows(run["sgd_targets"], 1)
    w1, b1, w2, b2 = (np.array(p, dtype=np.float64) for p in run["sgd_before"])
    w1, w2 = w1.reshape(8, 2), w2.reshape(1, 8)
    h = np.tanh(x @ w1.T + b1)
    y = h @ w2.T + b2
    n = y.size
    assert run["sgd_loss"] == pytest.approx(np.mean((y - t) ** 2), rel=1e-5)
    dy = 2.0 * (y - t) / n
    dw2, db2 = dy.T @ h, dy.sum(0)
    dz = (dy @ w2) * (1.0 - h**2)
    dw1, db1 = dz.T @ x, dz.sum(0)
    want = [w1 - 0.1 * dw1, b1 - 0.1 * db1, w2 - 0.1 * dw2, b2 - 0.1 * db2]
    for got, expected in zip(run["sgd_after"], want, strict=True):
        np.testing.assert_allclose(got, expected.ravel(), rtol=1e-5, atol=1e-6)


def test_fit_async_through_the_brain(run: dict) -> None:
    assert run["async_job_is_brain_job"]
    ev = run["async_events"]
    assert ev["off_main"] == 0, "signals must arrive on the main thread"
    assert ev["epochs"] == list(range(6)), "the epochs option (6) overrides brain.epochs (5) for this fit"
    assert ev["finished"] == 1
    np.testing.assert_allclose(ev["progress"], np.arange(1, 7) / 6)
    assert ev["losses"] == run["async_history_loss"] == run["async_ref_loss"]
    assert run["async_params"] == run["async_ref_params"], "the same fit as LKTrainer.fit() with the same settings"
    assert run["async_epochs_after"] == 5 and not run["async_training_after"]
    assert run["async_errors"] == []


def test_training_calls_are_refused_while_a_job_runs(run: dict) -> None:
    assert run["busy_training_flag"]
    assert run["busy_second_null"] and run["busy_step_nan"] and run["busy_online_nan"]
    refusals = run["busy_refusals"]
    assert len(refusals) == 3
    for call, line in zip(("fit_async", "step", "train_online"), refusals, strict=True):
        assert f"LKBrain.{call}" in line and "fit_async() job" in line


def test_freeing_the_node_while_its_job_runs(run: dict) -> None:
    assert run["free_unheld_ok"]
    assert run["free_held_running"], "a job the script still holds goes on after its brain is freed"
    assert run["free_held_epochs_after_free"] > 0
    assert run["free_held_finished"]
    assert run["free_errors"] == []


def test_online_learning_reaches_the_threshold(run: dict) -> None:
    frames = run["online_frames"]
    assert run["online_mse_start"] > 0.05
    assert run["online_steps_before"] == 0, "an empty replay buffer trains nothing"
    assert run["lonely"] == {"steps": 0, "errors": []}, "no network: frames are skipped without an error"
    assert frames < 600 and run["online_mse"] < 0.005, f"MSE {run['online_mse']} after {frames} frames"
    # steps_per_frame 4 within a 50 ms budget: 1 to 4 steps each frame, one signal per frame that trained.
    assert frames <= run["online_steps"] <= 4 * frames + 8
    assert frames - 2 <= run["online_signals"] <= frames + 2
    assert run["online_steps_after_off"] == run["online_steps"], "online_learning = false stops the training"
    assert run["online_buffer_size"] == 256, "replay_capacity from the scene file"
    x = rows(run["online_grid"], 2)
    predicted = rows(run["online_predict"], 1)
    np.testing.assert_allclose(predicted, forward(run["online_params"], x), atol=5e-6)
    assert np.mean((forward(run["online_params"], x) - f(x)) ** 2) < 0.005
    assert run["online_errors"] == []


def splitmix_indices(seed: int, count: int, size: int) -> list[int]:
    """The documented sampling: the k-th index is floor(splitmix64_k(seed) * size / 2^64)."""
    mask, state, out = (1 << 64) - 1, seed & ((1 << 64) - 1), []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        out.append((z * size) >> 64)
    return out


def test_replay_buffer_ring(run: dict) -> None:
    assert run["ring_size"] == 5
    assert run["ring_inputs"] == [v for i in range(3, 8) for v in (i, -i)], "the newest 5 of 8, oldest first"
    assert run["ring_targets"] == [i * 10 for i in range(3, 8)]
    assert run["shrunk_inputs"] == [5, -5, 6, -6, 7, -7], "a smaller capacity keeps the newest"
    assert run["batch_inputs"] == [7, -7, 100, 101, 102, 103]
    assert run["cleared_size"] == 0 and run["after_clear_add"] == 0 and run["after_clear_widths"] == [3, 2]
    assert run["replay_stray_errors"] == []


def test_replay_sampling_is_seeded_uniform_with_replacement(run: dict) -> None:
    indices = run["sample_indices"]
    assert indices == splitmix_indices(42, 64, 5)
    assert len(set(indices)) < len(indices), "with replacement: 64 draws from 5 pairs repeat"
    assert run["sample_same_seed_same"] and run["sample_other_seed_differs"]
    ring = rows(run["ring_inputs"], 2)
    np.testing.assert_array_equal(rows(run["sample_inputs"], 2), ring[indices])
    np.testing.assert_array_equal(np.array(run["sample_targets"]), np.array(run["ring_targets"])[indices])
    dist = run["dist_indices"]
    assert dist == splitmix_indices(7, 20000, 10)
    counts = np.bincount(dist, minlength=10)
    chi2 = float(((counts - 2000.0) ** 2 / 2000.0).sum())
    assert chi2 < 27.88, f"chi-square {chi2} (9 degrees of freedom, p = 0.001): counts {counts}"


BAD_REPLAY = {
    "add_nan": ("LKReplayBuffer.add", 31), "add_width": ("LKReplayBuffer.add", 31),
    "add_string": ("LKReplayBuffer.add", 31), "add_batch_ragged": ("LKReplayBuffer.add_batch", 31),
    "capacity_zero": ("LKReplayBuffer.capacity", 3), "sample_zero": ("LKReplayBuffer.sample", {"size": 0}),
    "sample_empty": ("LKReplayBuffer.sample", {"size": 0}),
}
BAD_BRAIN = {
    "predict_no_network": ("LKBrain.predict", {"size": 0}), "predict_one_no_network": ("LKBrain.predict_one", {"size": 0}),
    "step_no_network": ("LKBrain.step", "nan"), "fit_async_no_network": ("LKBrain.fit_async", None),
    "train_online_empty": ("LKBrain.train_online", "nan"), "predict_one_width": ("LKBrain.predict_one", {"size": 0}),
    "predict_one_string": ("LKBrain.predict_one", {"size": 0}), "predict_one_nan": ("LKBrain.predict_one", {"size": 0}),
    "remember_width": ("LKBrain.remember", 31), "remember_nan": ("LKReplayBuffer.add", 31),
    "step_ragged": ("LKTrainer.step", "nan"), "fit_async_bad_epochs": ("LKBrain.fit_async", None),
    "fit_async_unknown_option": ("LKTrainer.fit_async", None), "train_online_zero": ("LKBrain.train_online", "nan"),
    "loss_unknown": ("LKBrain.loss", "mse"), "optimizer_unknown": ("LKBrain.optimizer", "adam"),
    "device_unknown": ("LKBrain.device", "cpu"), "batch_size_zero": ("LKBrain.batch_size", 32),
    "learning_rate_negative": ("LKBrain.learning_rate", 0.001), "steps_per_frame_zero": ("LKBrain.steps_per_frame", 1),
    "frame_budget_nan": ("LKBrain.frame_budget_ms", 2.0), "network_wrong_class": ("LKBrain.network", True),
}


@pytest.mark.parametrize("table,key", [("replay_bad", k) for k in BAD_REPLAY] + [("brain_bad", k) for k in BAD_BRAIN])
def test_bad_input_is_an_error(run: dict, table: str, key: str) -> None:
    where, want = (BAD_REPLAY if table == "replay_bad" else BAD_BRAIN)[key]
    got = run[table][key]
    assert any("ERROR" in e and where in e for e in got["errors"]), f"{key}: no error naming {where}: {got['errors']}"
    if key == "device_unknown":
        want = run["device"]
    assert got["value"] == want, f"{key}: returned {got['value']!r}, expected {want!r}"


def test_bad_replay_input_adds_nothing(run: dict) -> None:
    assert run["replay_bad"]["size_after_bad"]["value"] == 1


def test_editor_icon(run: dict) -> None:
    gdext = (ROOT / "godot_project" / "addons" / "learnkit" / "learnkit.gdextension").read_text()
    assert '[icons]\nLKBrain = "res://addons/learnkit/icons/LKBrain.svg"' in gdext
    assert run["icon_is_texture"]
    assert run["stray_errors"] == []


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## The LKBrain node"):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(r"```gdscript\n(.*?)```", section, re.DOTALL)


def test_the_readme_examples_run_as_written() -> None:
    """The node example as the script of a scene's root with an LKBrain child (network: brain_net.tres), run for
    40 frames headless; the replay-buffer example with a trainer made first. No error may be printed."""
    game, buffer_example = readme_blocks()
    generated = ROOT / "godot_project" / "tests" / "generated"
    generated.mkdir(exist_ok=True)
    (generated / "readme_brain_game.gd").write_text(game)
    body = textwrap.indent(buffer_example, "\t")
    main = (
        "extends SceneTree\n\n"
        "func _buffer_example() -> Dictionary:\n"
        "\tvar trainer := LearnKit.trainer(LearnKit.sequential([LearnKit.dense(2, 1)]), {\"loss\": \"mse\"})\n"
        f"{body}"
        "\treturn {\"size\": buffer.size, \"rows\": batch.inputs.size()}\n\n"
        "func _init() -> void:\n"
        "\t_run.call_deferred()\n\n"
        "func _run() -> void:\n"
        "\tvar game := Node.new()\n"
        "\tgame.set_script(load(\"res://tests/generated/readme_brain_game.gd\"))\n"
        "\tvar brain := LKBrain.new()\n"
        "\tbrain.name = \"Brain\"\n"
        "\tbrain.network = (load(\"res://tests/brain_net.tres\") as LKNetwork).duplicate()\n"
        "\tbrain.network.device = \"cpu\"\n"
        "\tgame.add_child(brain)\n"
        "\troot.add_child(game)\n"
        "\tfor i in 40:\n"
        "\t\tawait physics_frame\n"
        "\tvar out := {\"steps\": brain.online_steps, \"remembered\": brain.replay_buffer.size,\n"
        "\t\t\t\"buffer\": _buffer_example()}\n"
        "\tprint(\"README_BRAIN \" + JSON.stringify(out))\n"
        "\tquit(0)\n"
    )
    (generated / "readme_brain_main.gd").write_text(main)
    code, output = launch_godot(["-s", "res://tests/generated/readme_brain_main.gd"], headless=True)
    assert code == 0, tail(output)
    assert "ERROR" not in output, tail(output)
    line = next(x for x in output.splitlines() if x.startswith("README_BRAIN "))
    out = json.loads(line[len("README_BRAIN "):])
    assert out["remembered"] >= 30 and out["steps"] >= 30, out
    assert out["buffer"] == {"size": 1, "rows": 32}
