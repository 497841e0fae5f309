"""Data helpers and evaluation: train_test_split, one_hot, evaluate_model_soft_max and mse."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference as ref
from conftest import BackendResults
from lk import (
    BACKENDS,
    as64,
    chain,
    dec,
    enc,
    enc_params,
    layers_case,
    ok,
    random_params,
)

pytestmark = pytest.mark.usefixtures("godot_ready")

SPLITS = {"iris-size": (150, 0.2, 0), "iris-size-seed-1": (150, 0.2, 1), "odd": (33, 0.3, 4), "tiny": (2, 0.5, 0)}


def make_cases() -> list[dict]:
    rng = np.random.default_rng(23)
    cases = []
    for cid, (rows, ratio, seed) in SPLITS.items():
        # Row i is (i, -i) with label i % 3: each row carries its own id, so pairing can be checked.
        x = np.stack([np.arange(rows), -np.arange(rows)], axis=1).astype(np.float32)
        cases.append({"id": f"split-{cid}", "kind": "data.split", "x": enc(x), "labels": [i % 3 for i in range(rows)],
                      "test_ratio": ratio, "seed": seed})
    cases.append({"id": "one-hot", "kind": "data.one_hot", "labels": [0, 2, 1, 2, 0], "classes": 3})
    cases.append({"id": "one-hot-1", "kind": "data.one_hot", "labels": [0], "classes": 1})
    for cid, sizes, rows in (("evaluate", [7, 33, 4], 33), ("evaluate-b1", [127, 3], 1)):
        layers = chain(sizes, ["relu"] * (len(sizes) - 2) + ["softmax"])
        params = random_params(rng, layers, scale=3.0)
        x = rng.uniform(-1, 1, (rows, sizes[0])).astype(np.float32)
        labels = rng.integers(0, sizes[-1], rows)
        t = ref.one_hot(labels, sizes[-1]).astype(np.float32)
        cases.append({"id": cid, "kind": "data.evaluate", "layers": layers_case(layers), "params": enc_params(params),
                      "x": enc(x), "targets": enc(t), "labels": [int(v) for v in labels]})
        _EVAL[cid] = (layers, params, x, labels, t)
    return cases


_EVAL: dict[str, tuple] = {}
CASES = make_cases()


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: CASES)


@pytest.mark.parametrize("cid", list(SPLITS))
def test_split_partitions_and_keeps_pairs(results: BackendResults, cid: str) -> None:
    r = ok(results["cpu"][f"split-{cid}"])["first"]
    rows, ratio, _ = SPLITS[cid]
    train, test = [int(v) for v in r["train_inputs"]], [int(v) for v in r["test_inputs"]]
    assert sorted(train + test) == list(range(rows)), "every row exactly once"
    assert len(test) in (math.floor(rows * ratio), math.ceil(rows * ratio))
    assert [int(v) for v in r["train_targets"]] == [i % 3 for i in train], "targets follow their inputs"
    assert [int(v) for v in r["test_targets"]] == [i % 3 for i in test]


@pytest.mark.parametrize("cid", list(SPLITS))
def test_split_is_deterministic(results: BackendResults, cid: str) -> None:
    r = ok(results["cpu"][f"split-{cid}"])
    assert r["first"] == r["again"]


def test_split_shuffles_by_seed(results: BackendResults) -> None:
    a, b = ok(results["cpu"]["split-iris-size"])["first"], ok(results["cpu"]["split-iris-size-seed-1"])["first"]
    assert sorted(a["test_inputs"]) != list(range(120, 150)), "the test rows are not simply the last ones"
    assert a["test_inputs"] != b["test_inputs"], "another seed, another split"


def test_one_hot(results: BackendResults) -> None:
    np.testing.assert_array_equal(dec(ok(results["cpu"]["one-hot"])["rows"]), ref.one_hot([0, 2, 1, 2, 0], 3))
    np.testing.assert_array_equal(dec(ok(results["cpu"]["one-hot-1"])["rows"]), [[1.0]])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cid", list(_EVAL))
def test_evaluate_matches_numpy(results: BackendResults, backend: str, cid: str) -> None:
    r = ok(results[backend][cid])
    layers, params, x, labels, t = _EVAL[cid]
    y = ref.forward(layers, as64(params), x.astype(np.float64))
    accuracy = float(np.mean(y.argmax(axis=1) == labels))
    assert r["accuracy_one_hot"] == pytest.approx(accuracy) and r["accuracy_labels"] == pytest.approx(accuracy)
    assert r["mse"] == pytest.approx(ref.loss("mse", y, t), rel=1e-5)
