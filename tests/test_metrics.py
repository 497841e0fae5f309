"""LearnKit.evaluate's metrics against scikit-learn (a test-only dependency) on random predictions: accuracy,
top-k accuracy, the confusion matrix, precision/recall/F1 per class, macro and weighted (zero_division), and
MSE/MAE/R2 (uniform average); bad shapes give clear errors. The metrics need no device: one CPU launch."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BackendResults
from lk import enc, ok
from sklearn import metrics as skm

pytestmark = pytest.mark.usefixtures("godot_ready")


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def build() -> tuple[list[dict], dict[str, dict]]:
    rng = np.random.default_rng(15)
    cases: list[dict] = []
    ref: dict[str, dict] = {}  # case id -> what sklearn is given: y_true, y_pred labels, scores, classes

    def classification(cid: str, scores: np.ndarray, y_true: np.ndarray, targets, predictions=None, **extra) -> None:
        classes = int(extra.get("classes", 0)) or max(scores.shape[1] if scores.shape[1] > 1 else 2,
                                                      int(y_true.max()) + 1)
        y_pred = (scores[:, 0] > 0.5).astype(int) if scores.shape[1] == 1 else np.argmax(scores, axis=1)
        if predictions is not None:
            y_pred = np.asarray(predictions)
        cases.append({"id": cid, "kind": "metrics.report", "predictions": enc(scores) if predictions is None
                      else [int(v) for v in predictions], "predictions_as_ints": predictions is not None,
                      "targets": targets, "targets_as_ints": not isinstance(targets, dict),
                      "names": ["accuracy", "top_k_accuracy", "precision", "recall", "f1"], **extra})

        ref[cid] = {"y_true": y_true, "y_pred": y_pred, "scores": scores, "classes": classes,
                    "zero_division": float(extra.get("zero_division", 0.0)), "k": int(extra.get("k", 5)),
                    "top_k": "top_k" in extra.get("only", ["top_k"])}

    # Five classes, probability rows against one-hot rows, against int labels, and label predictions.
    y = rng.integers(0, 5, 200)
    scores = softmax(rng.normal(0, 1.5, (200, 5)) + 2.0 * np.eye(5)[y])
    classification("multi-onehot", scores, y, enc(np.eye(5, dtype=np.float32)[y]), k=2)
    classification("multi-labels", scores, y, [int(v) for v in y], k=3)
    classification("multi-label-preds", np.eye(5, dtype=np.float32)[np.argmax(scores, 1)], y, [int(v) for v in y],
                   predictions=np.argmax(scores, 1), only=["accuracy", "confusion", "classification", "metrics"],
                   names=["accuracy", "precision", "recall", "f1"])
    # Seven classes; the targets use 0, 1, 3 and the predictions 0, 1, 2: classes 4-6 occur nowhere (left out of
    # sklearn's default averages), class 2 is never a target (recall undefined), class 3 never predicted.
    y = rng.choice([0, 1, 3], 90)
    pred_scores = np.full((90, 7), 0.01, np.float32)
    pred_scores[np.arange(90), rng.choice([0, 1, 2], 90)] = 0.9
    for zd in (0.0, 1.0):
        classification(f"absent-classes-zd{zd:g}", pred_scores, y, [int(v) for v in y], zero_division=zd)
    classification("absent-classes-fixed-count", pred_scores, y, [int(v) for v in y], classes=9)
    # One sigmoid column against 0/1 targets: class = value > 0.5.
    y = rng.integers(0, 2, 64)
    p = np.clip(y * 0.4 + rng.uniform(0, 0.6, 64), 0, 1).astype(np.float32)[:, None]
    classification("binary-column", p, y, enc(y.astype(np.float32)[:, None]), only=["accuracy", "confusion",
                                                                                    "classification"])
    # Ties in top-k: scores on a coarse grid, so that many rows have equal scores around the k-th place.
    y = rng.integers(0, 6, 300)
    tied = (rng.integers(0, 4, (300, 6)) / 4.0).astype(np.float32)
    for k in (1, 2, 4):
        classification(f"ties-k{k}", tied, y, [int(v) for v in y], k=k)

    # Regression: three outputs; one output given as plain numbers; a constant target column.
    t = rng.normal(0, 2, (80, 3)).astype(np.float32)
    yp = (t + rng.normal(0, 0.7, t.shape)).astype(np.float32)
    t_const = t.copy()
    t_const[:, 1] = 1.5
    yp_exact = yp.copy()
    yp_exact[:, 1] = 1.5
    for cid, pred, targ in (("regression-3", yp, t), ("regression-const", yp, t_const),
                            ("regression-const-exact", yp_exact, t_const)):
        cases.append({"id": cid, "kind": "metrics.report", "predictions": enc(pred), "targets": enc(targ),
                      "only": ["regression", "metrics"], "names": ["mse", "mae", "r2"]})
        ref[cid] = {"pred": pred, "true": targ}
    cases.append({"id": "regression-numbers", "kind": "metrics.report", "predictions": [float(v) for v in yp[:, 0]],
                  "targets": [float(v) for v in t[:, 0]], "only": ["regression"]})
    ref["regression-numbers"] = {"pred": yp[:, :1], "true": t[:, :1]}

    # Bad input: each call alone, so that its error is captured alone.
    two = enc(np.eye(3, dtype=np.float32)[[0, 1]])
    bad = {
        "rows": ({"predictions": two, "targets": [0, 1, 2], "only": ["accuracy"]}, "predictions has 2 rows and targets 3"),
        "width": ({"predictions": two, "targets": enc(np.eye(4, dtype=np.float32)[[0, 1]]), "only": ["classification"]},
                  "targets rows 4"),
        "label": ({"predictions": two, "targets": [0, 1.5], "only": ["confusion"]}, "targets[1] is 1.5"),
        "negative": ({"predictions": [0, -1], "targets": [0, 1], "only": ["accuracy"]}, "predictions[1] is -1"),
        "k": ({"predictions": two, "targets": [0, 1], "only": ["top_k"], "k": 0}, "k is 0"),
        "top-k-labels": ({"predictions": [0, 1], "targets": [0, 1], "only": ["top_k"]}, "at least 2 class scores"),
        "top-k-class": ({"predictions": two, "targets": [0, 3], "only": ["top_k"]}, "targets[1] is class 3"),
        "classes": ({"predictions": two, "targets": [0, 1], "classes": 2, "only": ["confusion"]}, "classes is 2"),
        "zero-division": ({"predictions": two, "targets": [0, 1], "zero_division": 2.0, "only": ["classification"]},
                          "zero_division is 2"),
        "name": ({"predictions": two, "targets": [0, 1], "names": ["accuracy", "auc"], "only": ["metrics"]},
                 "names[1] is auc: expected one of accuracy"),
        "regression-width": ({"predictions": two, "targets": enc(np.zeros((2, 1), np.float32)),
                              "only": ["regression"]}, "predictions rows have 3 values and targets rows 1"),
        "empty": ({"predictions": [], "targets": [], "only": ["regression"]}, "predictions is empty"),
    }
    for name, (case, message) in bad.items():
        cases.append({"id": f"bad-{name}", "kind": "metrics.report", "names": [], **case})
        ref[f"bad-{name}"] = {"message": message}
    return cases, ref


CASES, REF = build()


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: CASES)


CLASSIFICATION = [c["id"] for c in CASES if "y_true" in REF[c["id"]]]
TOPK = [cid for cid in CLASSIFICATION if REF[cid]["top_k"]]


@pytest.mark.parametrize("cid", CLASSIFICATION)
def test_classification_matches_sklearn(results: BackendResults, cid: str) -> None:
    r, e = ok(results["cpu"][cid]), REF[cid]
    assert not r["errors"], r["errors"]
    yt, yp, n, zd = e["y_true"], e["y_pred"], e["classes"], e["zero_division"]
    labels = list(range(n))
    assert r["accuracy"] == pytest.approx(skm.accuracy_score(yt, yp), abs=1e-12)
    np.testing.assert_array_equal(np.array(r["confusion"]), skm.confusion_matrix(yt, yp, labels=labels))
    rep = r["classification"]
    assert rep["classes"] == n
    np.testing.assert_array_equal(np.array(rep["confusion_matrix"]), skm.confusion_matrix(yt, yp, labels=labels))
    p, rc, f, s = skm.precision_recall_fscore_support(yt, yp, labels=labels, average=None, zero_division=zd)
    np.testing.assert_allclose(rep["precision"], p, atol=1e-12, err_msg="per-class precision")
    np.testing.assert_allclose(rep["recall"], rc, atol=1e-12, err_msg="per-class recall")
    np.testing.assert_allclose(rep["f1"], f, atol=1e-12, err_msg="per-class f1")
    np.testing.assert_array_equal(rep["support"], s)
    for average in ("macro", "weighted"):
        p, rc, f, _ = skm.precision_recall_fscore_support(yt, yp, average=average, zero_division=zd)
        assert rep[f"{average}_precision"] == pytest.approx(p, abs=1e-12), average
        assert rep[f"{average}_recall"] == pytest.approx(rc, abs=1e-12), average
        assert rep[f"{average}_f1"] == pytest.approx(f, abs=1e-12), average
    if "metrics" in r:
        m = r["metrics"]
        assert m["accuracy"] == pytest.approx(skm.accuracy_score(yt, yp), abs=1e-12)
        assert m["f1"] == pytest.approx(skm.f1_score(yt, yp, average="macro", zero_division=0.0), abs=1e-12)
        assert m["precision"] == pytest.approx(skm.precision_score(yt, yp, average="macro", zero_division=0.0),
                                               abs=1e-12)
        assert m["recall"] == pytest.approx(skm.recall_score(yt, yp, average="macro", zero_division=0.0), abs=1e-12)


@pytest.mark.parametrize("cid", TOPK)
def test_top_k_matches_sklearn(results: BackendResults, cid: str) -> None:
    r, e = ok(results["cpu"][cid]), REF[cid]
    scores, k = e["scores"], e["k"]
    expected = skm.top_k_accuracy_score(e["y_true"], scores, k=k, labels=list(range(scores.shape[1])))
    assert r["top_k"] == pytest.approx(expected, abs=1e-12)
    assert r["metrics"]["top_k_accuracy"] == pytest.approx(expected, abs=1e-12)


def test_the_tie_cases_have_ties() -> None:
    """The tie cases mean something only if the true class often shares its score with another class."""
    e = REF["ties-k2"]
    s, y = e["scores"], e["y_true"]
    shared = ((s == s[np.arange(len(y)), y][:, None]).sum(axis=1) > 1).mean()
    assert shared > 0.3


REGRESSION = [c["id"] for c in CASES if "pred" in REF[c["id"]]]


@pytest.mark.parametrize("cid", REGRESSION)
def test_regression_matches_sklearn(results: BackendResults, cid: str) -> None:
    r, e = ok(results["cpu"][cid]), REF[cid]
    assert not r["errors"], r["errors"]
    yt, yp = e["true"].astype(np.float64), e["pred"].astype(np.float64)
    expected = {"mse": skm.mean_squared_error(yt, yp), "mae": skm.mean_absolute_error(yt, yp),
                "r2": skm.r2_score(yt, yp, multioutput="uniform_average")}
    for name, value in expected.items():
        assert r["regression"][name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
        if "metrics" in r:
            assert r["metrics"][name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_constant_column_r2_is_finite_like_sklearn(results: BackendResults) -> None:
    # sklearn's force_finite: a constant target column scores 0 (imperfect) or 1 (exact), never -inf or NaN.
    exact = ok(results["cpu"]["regression-const-exact"])["regression"]["r2"]
    yt = REF["regression-const-exact"]["true"].astype(np.float64)
    yp = REF["regression-const-exact"]["pred"].astype(np.float64)
    per_column = skm.r2_score(yt, yp, multioutput="raw_values")
    assert per_column[1] == 1.0
    assert exact == pytest.approx(per_column.mean(), abs=1e-12)


BAD = [c["id"] for c in CASES if "message" in REF[c["id"]]]


@pytest.mark.parametrize("cid", BAD)
def test_bad_input_is_a_clear_error(results: BackendResults, cid: str) -> None:
    r = ok(results["cpu"][cid])
    message = REF[cid]["message"]
    assert any(message in err for err in r["errors"]), f"expected an error containing {message!r}, got {r['errors']}"
    for key in ("accuracy", "top_k"):
        if key in r:
            assert r[key] == "nan"
    for key in ("confusion", "classification", "regression", "metrics"):
        if key in r:
            assert not r[key], f"{key} should be empty after an error, got {r[key]}"
