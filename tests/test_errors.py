"""Bad input never crashes: each misuse returns null / an empty result / an Error, prints a Godot error that names
the offending value, and leaves the network as it was. The cases live in godot_project/tests/cases/errors.gd
(networks there are 4 -> 5 -> 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import BackendResults
from lk import BACKENDS, ok

pytestmark = pytest.mark.usefixtures("godot_ready")

NULL, EMPTY, ERROR, ANY = "null", "empty", "error", "any"  # what the call must return

#       case function in errors.gd, returns, values the error message must name, parameters kept?
ERRORS = [
    ("dense_negative_inputs", NULL, ["-3"], False),
    ("dense_zero_outputs", NULL, ["0"], False),
    ("dense_unknown_activation", NULL, ["swishy"], False),
    ("sequential_empty", NULL, [], False),
    ("sequential_mismatched_widths", NULL, ["7", "8"], False),
    ("sequential_not_a_layer", NULL, [], False),
    ("sequential_unknown_init", NULL, ["he_uniformish"], False),
    ("network_negative_size", NULL, ["-5"], False),
    ("network_one_size", NULL, [], False),
    ("network_unknown_device", ANY, ["tpu9"], False),
    ("schedule_negative_period", NULL, ["-3"], False),
    ("predict_wrong_width", EMPTY, ["5", "4"], False),
    ("predict_empty", EMPTY, [], False),
    ("predict_ragged", EMPTY, ["3"], False),
    ("predict_nan", EMPTY, ["nan"], False),
    ("predict_inf", EMPTY, ["inf"], False),
    ("predict_not_numbers", EMPTY, [], False),
    ("predict_flat_wrong_size", EMPTY, ["7"], False),
    ("predict_flat_negative_rows", EMPTY, ["-1"], False),
    ("fit_wrong_target_width", NULL, ["2", "3"], True),
    ("fit_row_count_mismatch", NULL, ["5", "4"], True),
    ("fit_empty", NULL, [], True),
    ("fit_nan_input", NULL, ["nan"], True),
    ("fit_inf_target", NULL, ["inf"], True),
    ("fit_label_out_of_range", NULL, ["7"], True),
    ("fit_negative_batch_size", NULL, ["-4"], True),
    ("fit_flat_wrong_size", NULL, ["7"], True),
    ("step_wrong_width", ANY, ["3", "4"], True),
    ("gradients_wrong_width", EMPTY, ["3", "4"], True),
    ("train_wrong_width", ANY, ["6", "4"], True),
    ("trainer_unknown_loss", NULL, ["hinge_ish"], False),
    ("trainer_unknown_option", NULL, ["learning_rat"], False),
    ("trainer_unknown_optimizer", NULL, ["rmsprop_ish"], False),
    ("trainer_negative_epochs", NULL, ["-7"], False),
    ("trainer_unknown_loss_setting", NULL, ["delt", "huber", "delta", "reduction"], False),
    ("trainer_bad_reduction", NULL, ["batchmean", "sum"], False),
    ("loss_settings_unknown_property", ANY, ["margin", "mse", "reduction"], False),
    ("fit_settings_of_another_loss", NULL, ["delta", "mse"], True),
    ("fit_hinge_needs_sign_targets", NULL, ["hinge", "-1 or 1"], True),
    ("set_parameters_wrong_layer_count", ERROR, ["1", "2"], True),
    ("set_parameters_wrong_weight_size", ERROR, ["11", "15"], True),
    ("set_parameters_nan", ERROR, ["nan"], True),
    ("set_parameters_missing_key", ERROR, ["weight"], True),
    ("import_missing_file", NULL, ["no_such_model.json"], False),
    ("import_garbage", NULL, ["garbage.json"], False),
    ("import_empty_file", NULL, ["empty.json"], False),
    ("import_empty_object", NULL, ["empty_object.json"], False),
    ("import_truncated", NULL, ["truncated.json"], False),
    ("export_bad_path", ERROR, ["no_such_dir"], False),
    ("split_row_count_mismatch", NULL, ["5", "4"], False),
    ("split_bad_ratio", NULL, ["1.5"], False),
    ("one_hot_negative_classes", EMPTY, ["-2"], False),
    ("one_hot_label_out_of_range", EMPTY, ["9"], False),
    ("evaluate_wrong_width", ANY, ["2", "4"], False),
    ("mse_row_count_mismatch", ANY, ["3", "2"], False),
]


def make_cases(directory: Path) -> list[dict]:
    return [{"id": name, "kind": f"errors.{name}", "dir": str(directory)} for name, *_ in ERRORS]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> BackendResults:
    return BackendResults(lambda backend: make_cases(tmp_path_factory.mktemp(f"errors-{backend}")))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("name", "returns", "words", "keeps_params"), ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_input_is_refused_loudly(results: BackendResults, backend: str, name: str, returns: str,
                                     words: list[str], keeps_params: bool) -> None:
    r = ok(results[backend][name])  # A crash shows up here as "Godot exited with ... during this case".
    returned = f"{r['returned_type']} {r['returned_value']}"
    errors = [e for e in r["errors"] if e.startswith("ERROR")]
    problems = [] if errors else ["no error was printed"]
    text = "\n".join(errors).lower()
    problems += [f"the error does not name {word!r}" for word in words if word.lower() not in text]
    if returns == NULL and not r["returned_null"]:
        problems.append(f"returned {returned}, expected null")
    elif returns == EMPTY and not (r["returned_null"] or r["returned_size"] == 0):
        problems.append(f"returned {returned}, expected an empty result")
    elif returns == ERROR and not (r["returned_type"] == "int" and r["returned_value"] != "0"):
        problems.append(f"returned {returned}, expected an Error other than OK")
    if keeps_params and not r["params_unchanged"]:
        problems.append("the failed call changed the network's parameters")
    assert not problems, "; ".join(problems) + "\nGodot printed:\n" + "\n".join(errors)


@pytest.mark.parametrize("backend", BACKENDS)
def test_unknown_device_is_not_taken(results: BackendResults, backend: str) -> None:
    assert ok(results[backend]["network_unknown_device"])["device_after"] != "tpu9"


@pytest.mark.parametrize("backend", BACKENDS)
def test_godot_output_shows_the_errors(results: BackendResults, backend: str) -> None:
    res = results[backend]
    assert "ERROR" in res.output and "swishy" in res.output and "no_such_model.json" in res.output
    assert res.exit_codes == [0], "Godot crashed or failed on bad input"
