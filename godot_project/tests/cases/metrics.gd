extends RefCounted
## LearnKit.evaluate's metrics (accuracy, top-k, confusion matrix, classification and regression reports,
## metrics by name) on given predictions and targets; tests/test_metrics.py compares them with scikit-learn.

const Util := preload("res://tests/cases/util.gd")


## One side of a case: a MATRIX of rows, or a list of numbers (labels, or one value per row) as ints or floats.
static func _side(c: Dictionary, key: String) -> Array:
	var v: Variant = c[key]
	if typeof(v) == TYPE_DICTIONARY:
		return Util.rows(v)
	if bool(c.get(key + "_as_ints", false)):
		return Util.ints(v)
	return (v as Array).duplicate()


## Every metric of "predictions" against "targets" ("classes", "zero_division", "k", "names" optional; "only":
## the metrics to run, for error cases, so that each error is captured alone).
static func report(c: Dictionary) -> Dictionary:
	var p := _side(c, "predictions")
	var t := _side(c, "targets")
	var only: Array = c.get("only", ["accuracy", "top_k", "confusion", "classification", "regression", "metrics"])
	var out := {}
	var e := LearnKit.evaluate
	if "accuracy" in only:
		out["accuracy"] = e.accuracy(p, t)
	if "top_k" in only:
		out["top_k"] = e.top_k_accuracy(p, t, int(c.get("k", 5)))
	if "confusion" in only:
		out["confusion"] = e.confusion_matrix(p, t, int(c.get("classes", 0)))
	if "classification" in only:
		out["classification"] = e.classification_report(p, t, int(c.get("classes", 0)),
				float(c.get("zero_division", 0.0)))
	if "regression" in only:
		out["regression"] = e.regression_report(p, t)
	if "metrics" in only:
		out["metrics"] = e.metrics(p, t, c.get("names", []), int(c.get("k", 5)))
	# Godot's JSON has no NAN: report it by name.
	for key: String in out.keys():
		if typeof(out[key]) == TYPE_FLOAT and is_nan(out[key]):
			out[key] = "nan"
	return out
