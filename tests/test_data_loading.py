"""LearnKit.data.load_csv and load_image_folder on files this test writes (checked against Python's csv module,
NumPy and torch's bilinear interpolation), including hostile ones; and LearnKit.data.split: sizes, disjoint
parts, stratified class proportions, reproducible seeds."""

from __future__ import annotations

import atexit
import csv
import io
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import BackendResults
from lk import dec, ok
from png_file import write_png

pytestmark = pytest.mark.usefixtures("godot_ready")

TMP = Path(tempfile.mkdtemp(prefix="learnkit-data-"))
atexit.register(shutil.rmtree, TMP, True)

# ---------------------------------------------------------------------------------------------------- CSV files
CSV_FILES = {
    # Quoted fields (a delimiter, a quote and a line break inside), CRLF, blank lines, spaces around numbers.
    "quoted.csv": 'id,"len, cm",width,kind\r\n1, 5.1 ,3.5,"setosa"\r\n\r\n2,"4.9",3.0,"big ""virginica"""\r\n'
                  '   \r\n3,6.2,-2.5e-1,"multi\nline"\r\n4,+.5,1e3,setosa\r\n',
    # Numeric labels: classes sorted by value ("10" after "9"), "1" and "1.0" one class.
    "numeric.csv": "a,b,y\n1,2,10\n3,4,9\n5,6,1\n7,8,1.0\n9,10,2\n",
    # No header, semicolons, a UTF-8 byte-order mark, no final line break.
    "plain.csv": "\ufeff1;2;3;x\n4;5;6;y\n7;8;9;x",
    # Regression: a numeric target column.
    "regression.csv": "x1,x2,price\n0.5,1,100.25\n1.5,-2,80\n2.5,3,-7.5\n",
}
# name: (file, options)
CSV_CASES = {
    "quoted": ("quoted.csv", {"label": "kind", "features": ["len, cm", "width"]}),
    "quoted-by-index": ("quoted.csv", {"label": 3}),
    "numeric": ("numeric.csv", {"label": "y"}),
    "plain": ("plain.csv", {"header": False, "delimiter": ";", "label": 3, "features": [2, 0]}),
    "regression": ("regression.csv", {"label": "price", "classify": False}),
    "no-label": ("numeric.csv", {}),
}
HOSTILE_CSV = {
    "word.csv": "a,b\n1,2\n3,oops\n",
    "empty-cell.csv": "a,b\n1,2\n,4\n",
    "ragged.csv": "a,b,c\n1,2,3\n4,5\n",
    "unterminated.csv": 'a,b\n1,"2\n3,4\n',
    "after-quote.csv": 'a,b\n1,"2"x\n',
    "nan.csv": "a,b\n1,nan\n",
    "huge.csv": "a,b\n1,1e39\n",
    "decimal-comma.csv": "a;b\n1;2,5\n",
    "only-header.csv": "a,b\n",
    "empty.csv": "",
}
# name: (file, options, substring of the error)
BAD_CSV = {
    "word": ("word.csv", {}, 'line 3 column 1 ("b") is "oops"'),
    "empty-cell": ("empty-cell.csv", {}, 'line 3 column 0 ("a") is ""'),
    "ragged": ("ragged.csv", {}, "line 3 has 2 fields, expected 3"),
    "unterminated": ("unterminated.csv", {}, "line 2: a quoted field is never closed"),
    "after-quote": ("after-quote.csv", {}, "line 2: text after a closing quote"),
    "nan": ("nan.csv", {}, 'is "nan": expected a finite number'),
    "huge": ("huge.csv", {}, 'is "1e39": expected a finite number (float32)'),
    "decimal-comma": ("decimal-comma.csv", {"delimiter": ";"}, 'is "2,5"'),
    "only-header": ("only-header.csv", {}, "has no data rows after its header"),
    "empty": ("empty.csv", {}, "has no data rows"),
    "missing": ("no-such-file.csv", {}, "cannot open"),
    "label-name": ("numeric.csv", {"label": "z"}, 'option label is "z": the header has "a", "b", "y"'),
    "label-index": ("numeric.csv", {"label": 3}, "option label is column 3: the file has columns 0 to 2"),
    "label-feature": ("numeric.csv", {"label": "y", "features": ["y"]}, "features[0] is the label column"),
    "name-no-header": ("plain.csv", {"header": False, "label": "x", "delimiter": ";"}, "the file has no header"),
    "label-not-number": ("quoted.csv", {"label": "kind", "classify": False}, '(the label "kind") is "setosa"'),
    "unknown-option": ("numeric.csv", {"sep": ";"}, 'unknown option "sep"'),
    "delimiter": ("numeric.csv", {"delimiter": ",,"}, "option delimiter is ,,: expected one character"),
}


def expected_csv(name: str) -> dict:
    """The reference reading of a CSV case with Python's csv module."""
    file, opts = CSV_CASES[name]
    text = CSV_FILES[file].lstrip("\ufeff")
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=opts.get("delimiter", ","))
            if any(f.strip() for f in r)]
    rows = [[f.strip() for f in r] for r in rows]
    names = rows[0] if opts.get("header", True) else [str(i) for i in range(len(rows[0]))]
    data = rows[1:] if opts.get("header", True) else rows
    label = opts.get("label")
    li = names.index(label) if isinstance(label, str) else label
    feats = [names.index(f) if isinstance(f, str) else f for f in opts.get("features", [])] or \
        [i for i in range(len(names)) if i != li]
    out = {"inputs": np.array([[float(r[i]) for i in feats] for r in data], dtype=np.float32),
           "columns": [names[i] for i in feats], "rows": len(data)}
    if li is not None and opts.get("classify", True):
        cells = [r[li] for r in data]
        try:
            keys = [float(c) for c in cells]
        except ValueError:
            keys = cells
        order = sorted(set(keys))
        out["labels"] = [order.index(k) for k in keys]
        out["classes"] = [cells[keys.index(k)] for k in order]
    elif li is not None:
        out["targets"] = np.array([[float(r[li])] for r in data], dtype=np.float32)
    return out


# -------------------------------------------------------------------------------------------------- image folder
img_rng = np.random.default_rng(11)
# Files in the order the loader reads them: class folders sorted (bird, cat, dog), files sorted in each.
IMAGES = {
    "bird/e.png": img_rng.integers(0, 256, (3, 4, 3)),      # the first image: 4 wide, 3 high, RGB
    "cat/c.png": img_rng.integers(0, 256, (3, 4)),          # grayscale
    "cat/d.PNG": img_rng.integers(0, 256, (2, 5, 3)),       # another size (resized), upper-case extension
    "dog/a.png": img_rng.integers(0, 256, (3, 4, 3)),
    "dog/b.png": img_rng.integers(0, 256, (3, 4, 4)),       # RGBA: alpha is dropped
}
IMAGE_ROOT = TMP / "images"
IMAGE_CASES = {
    "default": {},
    "gray-resized": {"channels": 1, "width": 3, "height": 2},
    "normalised": {"mean": [0.5, 0.4, 0.3], "std": 0.25, "width": 6, "height": 5},
}
BAD_IMAGES = {
    "not-a-folder": (str(TMP / "nowhere"), {}, "is not a folder"),
    "no-classes": (str(IMAGE_ROOT / "bird"), {}, "has no sub-folders"),
    "channels": (str(IMAGE_ROOT), {"channels": 2}, "option channels is 2"),
    "width-only": (str(IMAGE_ROOT), {"width": 4}, "width and height go together"),
    "std-zero": (str(IMAGE_ROOT), {"std": 0}, "option std is 0"),
    "mean-length": (str(IMAGE_ROOT), {"mean": [0.1, 0.2]}, "expected a number or an Array of 3 numbers"),
    "unknown-option": (str(IMAGE_ROOT), {"size": 4}, 'unknown option "size"'),
    "no-images": (str(IMAGE_ROOT), {"extensions": ["txt"]}, "has no readable images"),
}


def write_files() -> None:
    for name, text in {**CSV_FILES, **HOSTILE_CSV}.items():
        (TMP / name).write_bytes(text.encode("utf-8"))
    for rel, px in IMAGES.items():
        (IMAGE_ROOT / rel).parent.mkdir(parents=True, exist_ok=True)
        write_png(IMAGE_ROOT / rel, px)
    (IMAGE_ROOT / "dog" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    (IMAGE_ROOT / "dog" / "notes.txt").write_text("not an image")


def expected_images(opts: dict) -> np.ndarray:
    channels = opts.get("channels", 3)
    first = IMAGES["bird/e.png"]
    h, w = opts.get("height", first.shape[0]), opts.get("width", first.shape[1])
    mean = np.broadcast_to(np.asarray(opts.get("mean", 0.0), dtype=np.float64), (channels,))
    std = np.broadcast_to(np.asarray(opts.get("std", 1.0), dtype=np.float64), (channels,))
    rows = []
    for px in IMAGES.values():
        rgb = np.repeat(px[:, :, None], 3, axis=2) if px.ndim == 2 else px[:, :, :3]
        rgb = rgb.astype(np.float64)
        chw = (rgb @ [0.299, 0.587, 0.114])[None] if channels == 1 else rgb.transpose(2, 0, 1)
        t = torch.nn.functional.interpolate(torch.from_numpy(chw)[None], size=(h, w), mode="bilinear",
                                            align_corners=False)[0].numpy()
        rows.append(((t / 255.0 - mean[:, None, None]) / std[:, None, None]).reshape(-1))
    return np.array(rows, dtype=np.float32)


# --------------------------------------------------------------------------------------------------------- splits
def _labels(counts: list[int], seed: int) -> list[int]:
    labels = [c for c, n in enumerate(counts) for _ in range(n)]
    np.random.default_rng(seed).shuffle(labels)
    return labels


# name: (rows' labels, options, one-hot width or None)
SPLITS = {
    "plain": (_labels([30, 20, 13], 1), {"test": 0.2, "validation": 0.1, "seed": 4}, None),
    "plain-seed-5": (_labels([30, 20, 13], 1), {"test": 0.2, "validation": 0.1, "seed": 5}, None),
    "default": (_labels([10, 10], 2), {}, None),
    "no-shuffle": (_labels([5, 6], 3), {"shuffle": False, "test": 0.3}, None),
    "stratified": (_labels([50, 30, 15, 5], 2), {"test": 0.2, "validation": 0.2, "stratify": True, "seed": 9}, None),
    "stratified-one-hot": (_labels([40, 17, 3], 3), {"test": 0.25, "stratify": True}, 3),
    "stratified-labels": (_labels([12, 9], 4), {"test": 0.3, "stratify": _labels([7, 14], 5)}, None),
}
# name: (rows, options, substring of the error)
BAD_SPLITS = {
    "too-much": (10, {"test": 0.5, "validation": 0.5}, "expected at least one row left for training"),
    "fraction": (10, {"test": 1.5}, "option test is 1.5: expected a fraction in [0, 1)"),
    "unknown": (10, {"tests": 0.2}, 'unknown option "tests"'),
    "no-shuffle-stratified": (10, {"stratify": True, "shuffle": False}, "stratify needs shuffle"),
    "stratify-length": (10, {"stratify": [0, 1]}, "stratify has 2 labels for 10 rows"),
    "stratify-type": (10, {"stratify": "yes"}, "option stratify is yes"),
    "seed-type": (10, {"seed": 1.5}, "expected an int and a bool"),
}


def _cases(backend: str) -> list[dict]:
    write_files()
    out = [{"id": f"csv-{n}", "kind": "data_files.csv", "path": str(TMP / f), "options": o}
           for n, (f, o) in CSV_CASES.items()]
    out += [{"id": f"bad-csv-{n}", "kind": "data_files.csv", "path": str(TMP / f), "options": o}
            for n, (f, o, _) in BAD_CSV.items()]
    out += [{"id": f"img-{n}", "kind": "data_files.images", "path": str(IMAGE_ROOT), "options": o}
            for n, o in IMAGE_CASES.items()]
    out += [{"id": f"bad-img-{n}", "kind": "data_files.images", "path": p, "options": o}
            for n, (p, o, _) in BAD_IMAGES.items()]
    for n, (labels, o, width) in SPLITS.items():
        c = {"id": f"split-{n}", "kind": "data_files.split", "rows": len(labels), "targets": labels, "options": o}
        out.append({**c, "one_hot": width} if width else c)
    out += [{"id": f"bad-split-{n}", "kind": "data_files.split", "rows": r, "targets": [i % 2 for i in range(r)],
             "options": o} for n, (r, o, _) in BAD_SPLITS.items()]
    out.append({"id": "old-split", "kind": "data_files.old_split", "rows": 12})
    return out


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(_cases)


@pytest.mark.parametrize("name", list(CSV_CASES))
def test_csv_reads_like_pythons_csv_module(results: BackendResults, name: str) -> None:
    r = ok(results["cpu"][f"csv-{name}"])
    want = expected_csv(name)
    assert r["errors"] == []
    np.testing.assert_array_equal(dec(r["inputs"]), want["inputs"])
    assert r["columns"] == want["columns"] and r["rows"] == want["rows"]
    for key in ("labels", "classes"):
        assert r.get(key) == want.get(key), key
    if "targets" in want:
        np.testing.assert_array_equal(dec(r["targets"]), want["targets"])
    else:
        assert "targets" not in r


def test_csv_class_order(results: BackendResults) -> None:
    assert ok(results["cpu"]["csv-numeric"])["classes"] == ["1", "2", "9", "10"]
    assert ok(results["cpu"]["csv-quoted"])["classes"] == ['big "virginica"', "multi\nline", "setosa"]


@pytest.mark.parametrize("name", list(BAD_CSV))
def test_bad_csv_is_an_error(results: BackendResults, name: str) -> None:
    r = ok(results["cpu"][f"bad-csv-{name}"])
    text = BAD_CSV[name][2]
    assert r["empty"], "an error returns {}"
    assert any(text in e for e in r["errors"]), f"no error containing {text!r}: {r['errors']}"


@pytest.mark.parametrize("name", list(IMAGE_CASES))
def test_image_folder_matches_numpy_and_torch(results: BackendResults, name: str) -> None:
    r = ok(results["cpu"][f"img-{name}"])
    opts = IMAGE_CASES[name]
    assert r["classes"] == ["bird", "cat", "dog"]
    assert r["files"] == list(IMAGES)
    assert r["labels"] == [0, 1, 1, 2, 2]
    assert r["skipped"] == ["dog/broken.png"]
    warnings = [e for e in r["errors"] if "LearnKit" in e]
    assert len(warnings) == 1 and warnings[0].startswith("WARNING") and "broken.png" in warnings[0], r["errors"]
    first = IMAGES["bird/e.png"]
    assert (r["width"], r["height"], r["channels"]) == (opts.get("width", first.shape[1]),
                                                        opts.get("height", first.shape[0]), opts.get("channels", 3))
    np.testing.assert_allclose(dec(r["inputs"]), expected_images(opts), rtol=1e-6, atol=1e-6)


def test_image_rows_are_chw(results: BackendResults) -> None:
    x = dec(ok(results["cpu"]["img-default"])["inputs"])
    px = IMAGES["bird/e.png"]  # 3 x 4 RGB, not resized: channel 0 (red) first, then row by row
    np.testing.assert_array_equal(x[0][:12], (px[:, :, 0].reshape(-1) / 255.0).astype(np.float32))
    np.testing.assert_array_equal(x[0][12:24], (px[:, :, 1].reshape(-1) / 255.0).astype(np.float32))


@pytest.mark.parametrize("name", list(BAD_IMAGES))
def test_bad_image_folder_is_an_error(results: BackendResults, name: str) -> None:
    r = ok(results["cpu"][f"bad-img-{name}"])
    text = BAD_IMAGES[name][2]
    assert r["empty"]
    assert any(text in e for e in r["errors"]), f"no error containing {text!r}: {r['errors']}"


def _split(name: str, results: BackendResults) -> dict:
    r = ok(results["cpu"][f"split-{name}"])
    assert r["errors"] == []
    return r["first"]


@pytest.mark.parametrize("name", list(SPLITS))
def test_split_parts(results: BackendResults, name: str) -> None:
    labels, opts, width = SPLITS[name]
    n = len(labels)
    r = ok(results["cpu"][f"split-{name}"])
    assert r["first"] == r["again"], "the same seed gives the same split"
    s = r["first"]
    n_test = int(np.ceil(opts.get("test", 0.2) * n))
    n_val = int(np.ceil(opts.get("validation", 0.0) * n))
    assert [len(s[p]["ids"]) for p in ("train", "validation", "test")] == [n - n_test - n_val, n_val, n_test]
    everything = s["train"]["ids"] + s["validation"]["ids"] + s["test"]["ids"]
    assert sorted(everything) == list(range(n)), "every row exactly once"
    for p in ("train", "validation", "test"):
        assert s[p]["indices"] == s[p]["ids"], "indices name the rows"
        want = [labels[i] for i in s[p]["ids"]]
        got = s[p]["targets"] if width is None else [int(np.argmax(t)) for t in s[p]["targets"]]
        assert got == want, "targets follow their inputs"


@pytest.mark.parametrize("name", ["stratified", "stratified-one-hot", "stratified-labels"])
def test_stratified_parts_keep_class_proportions(results: BackendResults, name: str) -> None:
    labels, opts, _ = SPLITS[name]
    strata = opts["stratify"] if isinstance(opts["stratify"], list) else labels
    n = len(labels)
    s = _split(name, results)
    for p in ("validation", "test"):
        size = len(s[p]["ids"])
        for c in set(strata):
            n_c = strata.count(c)
            got = sum(strata[i] == c for i in s[p]["ids"])
            share = n_c * size / n
            assert np.floor(share) <= got <= np.ceil(share), f"{p}: class {c} has {got} rows, expected ~{share}"


def test_split_without_stratify_is_not_stratified_by_accident(results: BackendResults) -> None:
    a, b = _split("plain", results), _split("plain-seed-5", results)
    assert a["test"]["ids"] != b["test"]["ids"], "another seed, another split"
    assert sorted(a["test"]["ids"]) != a["test"]["ids"], "the parts are shuffled"


def test_split_without_shuffle_keeps_order(results: BackendResults) -> None:
    s = _split("no-shuffle", results)
    assert s["train"]["ids"] == list(range(7)) and s["test"]["ids"] == [7, 8, 9, 10]


def test_old_train_test_split_still_works(results: BackendResults) -> None:
    r = ok(results["cpu"]["old-split"])
    assert sorted(r["train"] + r["test"]) == list(range(12)) and len(r["test"]) == 3 and r["validation"] == 0


@pytest.mark.parametrize("name", list(BAD_SPLITS))
def test_bad_split_is_an_error(results: BackendResults, name: str) -> None:
    r = ok(results["cpu"][f"bad-split-{name}"])
    text = BAD_SPLITS[name][2]
    assert r.get("null"), "an error returns null"
    assert any(text in e for e in r["errors"]), f"no error containing {text!r}: {r['errors']}"
