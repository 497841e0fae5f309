extends "res://tests/scene_check.gd"
## What the LKBrain scene checks (brain_loop.gd, brain_modes.gd) share: the backend, a 2-8-1 tanh network and
## the function it learns, row helpers, and _try() (a call's value, JSON-safe, with the errors it printed).

var _device := "cpu"


## {value, errors}: what a call returned (JSON-safe) and the errors it printed.
func _try(call: Callable) -> Dictionary:
	_capture.take()
	var value: Variant = call.call()
	var shown: Variant = value
	if typeof(value) == TYPE_OBJECT and value == null:  # a null object from a typed return: JSON would write "<Object#null>"
		shown = null
	elif value is float and is_nan(value):
		shown = "nan"
	elif value is Object:
		shown = "object"
	elif value is PackedFloat32Array or value is Array or value is Dictionary:
		shown = {"size": value.size()}
	return {"value": shown, "errors": Array(_capture.take())}


func _f(row: PackedFloat32Array) -> PackedFloat32Array:
	return PackedFloat32Array([0.6 * row[0] - 0.4 * row[1] + 0.3 * row[0] * row[1]])


func _targets(rows: Array) -> Array:
	var out: Array = []
	for row: PackedFloat32Array in rows:
		out.append(_f(row))
	return out


func _grid(n: int) -> Array:
	var rows: Array = []
	for i in n:
		for j in n:
			rows.append(PackedFloat32Array([-1.0 + 2.0 * i / (n - 1), -1.0 + 2.0 * j / (n - 1)]))
	return rows


func _network(seed: int) -> LKNetwork:
	var net := LearnKit.sequential([LearnKit.dense(2, 8, "tanh"), LearnKit.dense(8, 1)], "xavier", seed)
	net.device = _device
	return net


func _flat_rows(rows: Array) -> Array:
	var values: Array = []
	for row: Variant in rows:
		values.append_array(Array(row))
	return values


## Every parameter of the network, op by op, as plain numbers (weight out x in, then bias).
func _params(net: LKNetwork) -> Array:
	var values: Array = []
	for op: Dictionary in net.get_parameters():
		values.append(Array(op.weight))
		values.append(Array(op.bias))
	return values
