extends RefCounted
## Model-file fuzzing (tests/test_model_fuzz.py): each case is one mutated model file, loaded the two ways a
## model enters LearnKit, and this file only records what happened; pytest judges it against what the file says.
##
## A case: [code]{"bytes": base64 of the file's exact bytes, "dir": a folder to write it in}[/code]. Paths:
## [b]import[/b]: the file written as it is and read by [code]LearnKit.serialize.import()[/code];
## [b]fresh[/b]: the file's text through [code]JSON.parse()[/code], set as the [code]model[/code] of a new
## [code]LKNetwork[/code]; [b]filled[/b]: the same Dictionary set on a network that already holds a model (on an
## error it must keep it). Each path records its errors ("e") and the model it ended with ("model", compact JSON
## text), and "parsed_text" is the Dictionary the file's text parses to, as Godot reads it.

const ErrorCapture := preload("res://tests/error_capture.gd")


static func load_file(c: Dictionary) -> Dictionary:
	var capture := ErrorCapture.new()
	OS.add_logger(capture)
	var bytes := Marshalls.base64_to_raw(str(c.bytes))
	var path: String = str(c.dir).path_join("fuzz.json")
	var f := FileAccess.open(path, FileAccess.WRITE)
	f.store_buffer(bytes)
	f.close()
	capture.take()

	var imported := LearnKit.serialize.import(path)
	var out := {"import": _record(capture, imported)}

	var json := JSON.new()
	var parsed := json.parse(FileAccess.get_file_as_string(path)) == OK and typeof(json.data) == TYPE_DICTIONARY
	capture.take()
	out["parsed"] = parsed
	if parsed:
		out["parsed_text"] = JSON.stringify(json.data, "", false, true)  # what Godot read: pytest compares with it
		var fresh := LKNetwork.new()
		fresh.model = json.data
		out["fresh"] = _record(capture, fresh)
		var filled := LearnKit.sequential([LearnKit.dense(2, 3, "relu"), LearnKit.dense(3, 1)], "kaiming", 5)
		var before := filled.model
		filled.model = json.data
		var record := _record(capture, filled)
		record["unchanged"] = filled.model == before
		record["same_as_fresh"] = filled.model == fresh.model
		record.erase("model")
		out["filled"] = record
	OS.remove_logger(capture)
	return out


## The seed graph (what tests/data/model_fuzz/graph_v2.json holds), exported again to "path": dense, batch_norm,
## activation, dropout, dense, layer_norm, a residual add, activation, dense, with every tensor non-trivial.
static func export_seed(c: Dictionary) -> Dictionary:
	var net := LearnKit.network(5)
	var a := net.add_op("dense", {"units": 6}, [0])
	net.add_op("batch_norm", {})
	net.add_op("activation", {"activation": "leaky_relu", "alpha": 0.1})
	net.add_op("dropout", {"p": 0.25})
	var b := net.add_op("dense", {"units": 6})
	net.add_op("layer_norm", {"eps": 1e-5, "affine": true})
	net.add_op("add", {}, [a, b + 1])
	net.add_op("activation", {"activation": "tanh"})
	net.add_op("dense", {"units": 3})
	net.initialize("kaiming", 7)
	net.device = "cpu"
	var params := net.get_parameters()
	var k := 0
	for p: Dictionary in params:
		for name: String in p:
			var values: PackedFloat32Array = p[name]
			for i in values.size():
				k += 1
				# running_var stays positive; the others get both signs and a few exponents.
				values[i] = (absf(sin(k)) + 0.5) if name == "running_var" else sin(k * 1.7) * pow(10.0, (k % 5) - 2)
			p[name] = values
	if net.set_parameters(params) != OK:
		return {"error": "set_parameters failed"}
	var err := LearnKit.serialize.export(net, str(c.path))
	return {"export_error": err, "text": FileAccess.get_file_as_string(str(c.path))}


## What a path ended with: errors printed, whether a network came back (import) and its model when it has one.
static func _record(capture: ErrorCapture, loaded: LKNetwork) -> Dictionary:
	var errors := 0
	for line in capture.take():
		if line.begins_with("ERROR") or line.begins_with("SCRIPT ERROR"):
			errors += 1
	var record := {"e": errors, "null": loaded == null}
	if loaded != null:
		record["model"] = JSON.stringify(loaded.model, "", false, true)
	return record
