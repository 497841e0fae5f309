extends RefCounted
## Type fuzzing: calls one LearnKit method (or property setter) many times, each time with one argument replaced
## by a wrong value, and reports what every call did. The call list is generated from codegen/spec/api.yaml by
## tests/test_type_fuzz.py, which also judges the records; this file only builds values and makes calls.
##
## A case: [code]{"receiver": fixture, "method": name, "property": name or "", "args": [{"name", "type"}],
## "valid": [value key per argument], "calls": [[arg index, value key, follow-up], ...], "ptrcall": path of a
## generated script or ""}[/code]. Value keys name the wrong values of [method wrong] and the valid fixtures of
## [method fixture]. Each call gets a fresh receiver and fresh valid arguments, so no call sees another's state.
## Paths: [b]call[/b] = Object.callv() (setters: Object.set()), so the values reach our glue as Variants;
## [b]ptr[/b] = the generated script's statically typed call (GDScript's validated call = our ptrcall), made only
## when the wrong value's type is the declared type (otherwise GDScript itself stops at the typed assignment).

const ErrorCapture := preload("res://tests/error_capture.gd")

const HUGE := 20000  # elements of the "huge" strings and arrays (moderate, so that the suite stays fast)

## Nodes made as receivers or values (LKBrain): not reference counted, so freed at the end of each case.
static var _nodes: Array[Node] = []


## Runs every call of the case; returns {"records": [...]} (one per call, see _record()).
static func calls(c: Dictionary) -> Dictionary:
	var capture := ErrorCapture.new()
	OS.add_logger(capture)
	var ptr_script: GDScript = load(str(c["ptrcall"])) if str(c.get("ptrcall", "")) != "" else null
	var records: Array = []
	for call: Array in c["calls"]:
		records.append(_call(c, int(call[0]), str(call[1]), str(call[2]), "call", null, capture))
		if ptr_script != null and bool(call[3]):
			records.append(_call(c, int(call[0]), str(call[1]), str(call[2]), "ptr", ptr_script, capture))
	for node in _nodes:
		if is_instance_valid(node):
			node.free()
	_nodes.clear()
	OS.remove_logger(capture)
	return {"records": records}


## Frees the singleton and each of its sub-objects (paths like "path:nn.schedular"), then checks each is still
## there: {"paths": {path: {"alive": bool, "m": first error}}}. Exit at the end of the launch checks the rest.
static func free_owned(c: Dictionary) -> Dictionary:
	var capture := ErrorCapture.new()
	OS.add_logger(capture)
	var out := {}
	for key: String in c["paths"]:
		var o: Object = fixture(key, "cpu")
		capture.take()
		o.free()
		var record := _errors(capture.take())
		record["alive"] = is_instance_valid(o) and fixture(key, "cpu") == o
		out[key.substr(5)] = record
	var still_works: Variant = LearnKit.nn.schedular.constant(0.1)
	OS.remove_logger(capture)
	return {"paths": out, "error": "" if still_works is LKSchedule else "LearnKit.nn.schedular stopped working"}


static func _call(c: Dictionary, index: int, key: String, follow: String, path: String, ptr_script: GDScript,
		capture: ErrorCapture) -> Dictionary:
	var device := str(c["device"])
	var receiver: Object = fixture(str(c["receiver"]), device)
	var args: Array = []
	var valid: Array = c["valid"]
	var count: int = maxi(index + 1, int(c["required"]))
	for i in count:
		args.append(wrong(key) if i == index else fixture(str(valid[i]), device))
	var property := str(c.get("property", ""))
	var before: Variant = receiver.get(property) if property != "" else null
	capture.take()
	var returned: Variant = null
	if path == "ptr":
		returned = ptr_script.call(str(c["ptr_function"]), receiver, args)
	elif property != "":
		receiver.set(property, args[0])
	else:
		returned = receiver.callv(str(c["method"]), args)
	var record := _errors(capture.take())
	record.merge({"i": index, "v": key, "p": path})
	if property != "":
		var got: Variant = receiver.get(property)
		record["same"] = _same(got, args[0])
		record["kept"] = _same(got, before)
		returned = receiver if follow != "" else null
	else:
		record["r"] = _describe(returned)
	if follow != "" and returned is Object and is_instance_valid(returned):
		record["f"] = _follow(follow, returned as Object, device, capture)
	return record


## What a follow-up did with the object a call returned or changed: {"e": errors, "finite": bool}.
## fit: a 2-epoch fit of 2 rows; predict: one row of the network's input width.
static func _follow(kind: String, value: Object, device: String, capture: ErrorCapture) -> Dictionary:
	var out: Variant = null
	match kind:
		"fit_trainer":
			var history: Variant = (value as LKTrainer).fit(rows(4), rows(3))
			out = (history as LKHistory).loss if history != null else null
		"fit_with_optimizer", "fit_with_schedule":
			var t := LearnKit.trainer(fixture("net", device), {"epochs": 2, "batch_size": 2, "loss": "mse",
					"device": device})
			if kind == "fit_with_optimizer":
				t.optimizer = value as LKOptimizer
			else:
				t.schedule = value as LKSchedule
			var history := t.fit(rows(4), rows(3))
			out = history.loss if history != null else null
		"predict_network":
			var net := value as LKNetwork
			var width := maxi(net.input_size, 1)
			out = net.predict([PackedFloat32Array(range(width).map(func(i: int) -> float: return 0.1 * i))])
		_:
			return {"e": 1, "finite": false, "error": "unknown follow-up " + kind}
	var record := _errors(capture.take())
	record["finite"] = _finite(out)
	return record


## {"e": errors (push_error, ERR_*), "se": script errors, "w": warnings, "m": the first error or script error}.
static func _errors(lines: PackedStringArray) -> Dictionary:
	var errors := 0
	var script_errors := 0
	var warnings := 0
	var first := ""
	for line in lines:
		if line.begins_with("SCRIPT ERROR"):
			script_errors += 1
		elif line.begins_with("ERROR"):
			errors += 1
		elif line.begins_with("WARNING"):
			warnings += 1
			continue
		else:
			continue
		if first.is_empty():
			first = line.left(400)
	return {"e": errors, "se": script_errors, "w": warnings, "m": first}


static func _finite(value: Variant) -> bool:
	if value == null:
		return false
	if typeof(value) == TYPE_FLOAT:
		return is_finite(value)
	if typeof(value) == TYPE_PACKED_FLOAT32_ARRAY or typeof(value) == TYPE_ARRAY:
		if (value as Array).is_empty() if typeof(value) == TYPE_ARRAY else (value as PackedFloat32Array).is_empty():
			return false
		for x: Variant in value:
			if not _finite(x):
				return false
		return true
	return true


static func _same(got: Variant, want: Variant) -> bool:
	if typeof(got) != typeof(want):
		return false
	if typeof(want) == TYPE_FLOAT:
		return (is_nan(got) and is_nan(want)) or got == want or is_equal_approx(got, want)
	return got == want


static func _describe(v: Variant) -> Dictionary:
	match typeof(v):
		TYPE_NIL:
			return {"t": "null"}
		TYPE_OBJECT:
			if not is_instance_valid(v):
				return {"t": "freed"}
			return {"t": "object", "class": (v as Object).get_class()}
		TYPE_FLOAT:
			return {"t": "float", "finite": is_finite(v)}
		TYPE_INT:
			return {"t": "int", "v": v}
		TYPE_BOOL:
			return {"t": "bool", "v": v}
	return {"t": type_string(typeof(v))}


## Rows of the given width (2 rows; the fixtures' networks are 4 -> 3).
static func rows(width: int) -> Array:
	var out: Array = []
	for r in 2:
		var row := PackedFloat32Array()
		for i in width:
			row.append(0.25 * (r + 1) - 0.1 * i)
		out.append(row)
	return out


static func flat(width: int) -> PackedFloat32Array:
	var out := PackedFloat32Array()
	for row: PackedFloat32Array in rows(width):
		out.append_array(row)
	return out


## Valid values and receivers. "path:nn.schedular" is an object under the singleton; "lit:<json>" a literal.
static func fixture(key: String, device: String) -> Variant:
	if key.begins_with("lit:"):
		return JSON.parse_string(key.substr(4))
	if key.begins_with("path:"):
		var o: Object = LearnKit
		for part in key.substr(5).split(".", false):
			o = o.get(part)
		return o
	if key.begins_with("lk:"):
		return wrong(key)
	match key:
		"device":
			return device
		"net":
			var net := LearnKit.sequential([LearnKit.dense(4, 3)])
			net.device = device
			return net
		"trainer":
			return LearnKit.trainer(fixture("net", device), {"epochs": 2, "batch_size": 2, "loss": "mse",
					"device": device})
		"brain":
			var brain := LKBrain.new()
			brain.network = fixture("net", device)
			brain.device = device
			brain.epochs = 2
			brain.batch_size = 2
			_nodes.append(brain)
			return brain
		"optimizer":
			return LearnKit.adam()
		"schedule":
			return LearnKit.constant_schedule(0.05)
		"dense":
			return LearnKit.dense(4, 3)
		"layer":
			return LearnKit.dropout(0.1)
		"layers":
			return [LearnKit.dense(4, 3)]
		"split":
			return LearnKit.data.train_test_split(rows(4), rows(3), 0.5)
		"history":
			return (fixture("trainer", device) as LKTrainer).fit(rows(4), rows(3))
		"model":
			return (fixture("net", device) as LKNetwork).model
		"params":
			return (fixture("net", device) as LKNetwork).get_parameters()
		"rows4":
			return rows(4)
		"rows3":
			return rows(3)
		"flat4":
			return flat(4)
		"flat3":
			return flat(3)
		"export_path":
			return OS.get_user_data_dir().path_join("fuzz_export.json")
	push_error("fuzz.gd: unknown fixture '%s'" % key)
	return null


## The wrong values, by key (tests/test_type_fuzz.py lists the keys and their Variant types).
static func wrong(key: String) -> Variant:
	if key.begins_with("lk:"):
		var name := key.substr(3)
		if ClassDB.is_parent_class(name, "RefCounted"):
			return ClassDB.instantiate(name)
		if ClassDB.is_parent_class(name, "Node"):
			var node: Node = ClassDB.instantiate(name)
			_nodes.append(node)
			return node
		return LearnKit if name == "LearnKit" else _sub_object(name)
	match key:
		"null":
			return null
		"true":
			return true
		"int_-1":
			return -1
		"int_0":
			return 0
		"int_max":
			return 9223372036854775807
		"int_min":
			return -9223372036854775807 - 1
		"int_2^62+1":
			return 4611686018427387905
		"float_1.5":
			return 1.5
		"nan":
			return NAN
		"inf":
			return INF
		"-inf":
			return -INF
		"float_-1e300":
			return -1e300
		"string":
			return "no_such_dir/fuzz"  # also a path argument's value: never a file the fuzz could write
		"string_empty":
			return ""
		"string_huge":
			return "x".repeat(HUGE)
		"string_name":
			return &"no_such_dir/fuzz_name"
		"node_path":
			return NodePath("a/b")
		"vector2":
			return Vector2(1, 2)
		"vector3i":
			return Vector3i(1, 2, 3)
		"color":
			return Color(1, 0, 0)
		"rect2":
			return Rect2(0, 0, 1, 1)
		"transform3d":
			return Transform3D()
		"rid":
			return RID()
		"callable":
			return Callable(LearnKit, "get_device_info")
		"signal":
			return Signal(LearnKit.nn, "script_changed")
		"dictionary":
			return {"fuzz": 1, 2: [3]}
		"array":
			return [1, "a", null, [2.5]]
		"array_huge":
			var a: Array = []
			a.resize(HUGE)
			a.fill(0.5)
			return a
		"array_of_rows_nan":
			return [PackedFloat32Array([NAN, 1, 2, 3]), PackedFloat32Array([INF, 0, 0, 0])]
		"packed_byte":
			return PackedByteArray([1, 2, 3])
		"packed_int32":
			return PackedInt32Array([-1, 0, 2147483647])
		"packed_int64":
			return PackedInt64Array([9223372036854775807])
		"packed_float32":
			return PackedFloat32Array([NAN, INF, -1])
		"packed_float32_huge":
			var p := PackedFloat32Array()
			p.resize(HUGE)
			return p
		"packed_float64":
			return PackedFloat64Array([1e300])
		"packed_string":
			return PackedStringArray(["a", "b"])
		"packed_vector2":
			return PackedVector2Array([Vector2.ONE])
		"engine_object":
			return RefCounted.new()
		"freed_object":
			var node := Node.new()
			node.free()
			return node
	push_error("fuzz.gd: unknown wrong value '%s'" % key)
	return null


## An Object-derived LearnKit class that only exists under the singleton (LearnKit.nn...).
static func _sub_object(name: String) -> Object:
	var todo: Array[Object] = [LearnKit]
	while not todo.is_empty():
		var o: Object = todo.pop_back()
		if o.get_class() == name:
			return o
		for p: Dictionary in o.get_property_list():
			if p["type"] == TYPE_OBJECT and str(p["class_name"]).begins_with("LearnKit"):
				var sub: Variant = o.get(p["name"])
				if sub is Object and not (sub as Object) is RefCounted:
					todo.append(sub)
	return null
