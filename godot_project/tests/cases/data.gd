extends RefCounted
## Data and evaluation cases: train_test_split, one_hot, evaluate_model_soft_max, mse.

const Util := preload("res://tests/cases/util.gd")


## Splits "x" (MATRIX) and "labels" with "test_ratio" and "seed" (twice, to check determinism); rows are
## identified by their first value, which the caller makes unique.
static func split(c: Dictionary) -> Dictionary:
	var out := {}
	for name: String in ["first", "again"]:
		var s := LearnKit.data.train_test_split(Util.rows(c.x), Util.ints(c.labels), float(c.test_ratio), int(c.seed))
		var ids: Dictionary = {}
		for part: String in ["train_inputs", "test_inputs"]:
			var firsts: Array = []
			for row: Variant in s.get(part):
				firsts.append(row[0])
			ids[part] = firsts
		ids["train_targets"] = s.train_targets
		ids["test_targets"] = s.test_targets
		out[name] = ids
	return out


## one_hot("labels", "classes").
static func one_hot(c: Dictionary) -> Dictionary:
	return {"rows": Util.encode_rows(LearnKit.data.one_hot(Util.ints(c.labels), int(c.classes)))}


## evaluate_model_soft_max() with one-hot "targets" and with int "labels", and mse(), of a given network.
static func evaluate(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	if net == null:
		return {"error": "could not build the network"}
	var x := Util.rows(c.x)
	var labels := Util.ints(c.labels)
	return {"accuracy_one_hot": LearnKit.evaluate.evaluate_model_soft_max(net, x, Util.rows(c.targets)),
			"accuracy_labels": LearnKit.evaluate.evaluate_model_soft_max(net, x, labels),
			"mse": LearnKit.evaluate.mse(net, x, Util.rows(c.targets))}
