extends RefCounted
## Forward pass cases: a network with given parameters, predicted on given inputs.

const Util := preload("res://tests/cases/util.gd")


## Predicts "x" (MATRIX) with predict() (rows as PackedFloat32Array, or plain Arrays when "row_type" is
## "array") and with predict_flat(); returns both outputs, the network's shape queries and the backend used.
static func predict(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	if net == null:
		return {"error": "could not build the network"}
	var x := Util.rows(c.x)
	if c.get("row_type", "packed") == "array":
		var plain: Array = []
		for row: PackedFloat32Array in x:
			plain.append(Array(row))
		x = plain
	var y: Variant = net.predict(x)
	var out := {"y": Util.encode_rows(y)}
	out.merge(Util.device_used())
	var shape: Array = c.x.shape
	var y_flat := net.predict_flat(Util.flat(c.x), shape[0])
	out["y_flat"] = Util.encode(y_flat, [shape[0], net.get_output_size()])
	out["backend_flat"] = Util.device_used().backend
	out["layer_count"] = net.get_layer_count()
	out["input_size"] = net.get_input_size()
	out["output_size"] = net.get_output_size()
	out["layers"] = net.get_layers()
	return out
