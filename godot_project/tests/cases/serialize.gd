extends RefCounted
## Serialization cases: export a network, import it back, compare.

const Util := preload("res://tests/cases/util.gd")


## Builds the network (trained for "train_steps" optimizer steps on "x"/"targets" when given), exports it to
## "path", imports it, and returns parameters and predictions on "x" of both.
static func roundtrip(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	if net == null:
		return {"error": "could not build the network"}
	var x := Util.rows(c.x)
	if c.get("train_steps", 0) > 0:
		var trainer := Util.trainer(net, c)
		for i in int(c.train_steps):
			trainer.step(x, Util.targets(c))
	var before := Util.encode_params(net.get_parameters(), net)
	var y_before := Util.encode_rows(net.predict(x))
	var err := LearnKit.serialize.export(net, c.path)
	var loaded := LearnKit.serialize.import(c.path)
	var out := {"export_error": err, "params_before": before, "y_before": y_before, "imported": loaded != null}
	if loaded == null:
		return out
	loaded.device = c.get("device", "auto")
	out["params_after"] = Util.encode_params(loaded.get_parameters(), loaded)
	out["y_after"] = Util.encode_rows(loaded.predict(x))
	out["layers_before"] = net.get_layers()
	out["layers_after"] = loaded.get_layers()
	out.merge(Util.device_used())
	return out
