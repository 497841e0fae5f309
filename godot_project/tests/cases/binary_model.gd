extends RefCounted
## Binary model files and atomic saves (tests/test_binary_model.py). These functions only record what
## happened; pytest judges it against its own reader of the format and the JSON seed.

const ErrorCapture := preload("res://tests/error_capture.gd")


## The seed network ("seed": a JSON model file) saved as .lkm and .json through save(), read back through
## load() and from_bytes(); returns the bytes, the models and the predictions of each.
static func roundtrip(c: Dictionary) -> Dictionary:
	var net := LearnKit.serialize.import(str(c.seed))
	if net == null:
		return {"error": "the seed did not import"}
	var dir := str(c.dir)
	var lkm := dir.path_join("model.lkm")
	var json := dir.path_join("model.json")
	var out := {"save_lkm": LearnKit.serialize.save(net, lkm), "save_json": LearnKit.serialize.save(net, json)}
	var bytes := LearnKit.serialize.to_bytes(net)
	out["bytes"] = Marshalls.raw_to_base64(bytes)
	out["file_bytes"] = Marshalls.raw_to_base64(FileAccess.get_file_as_bytes(lkm))
	out["lkm_size"] = FileAccess.get_file_as_bytes(lkm).size()
	out["json_size"] = FileAccess.get_file_as_bytes(json).size()
	out["model"] = JSON.stringify(net.model, "", false, true)
	var x: Array = []
	for i in 5:
		var row := PackedFloat32Array()
		for k in 5:
			row.append(sin(i * 5 + k) * 2.0)
		x.append(row)
	var y := net.predict(x)
	var loaded := {"load_lkm": LearnKit.serialize.load(lkm), "load_json": LearnKit.serialize.load(json),
		"from_bytes": LearnKit.serialize.from_bytes(bytes), "import_json": LearnKit.serialize.import(json)}
	for key: String in loaded:
		var n: LKNetwork = loaded[key]
		out[key] = {"null": n == null}
		if n != null:
			out[key]["model"] = JSON.stringify(n.model, "", false, true)
			out[key]["same_predictions"] = var_to_bytes(n.predict(x)) == var_to_bytes(y)
	return out


## One binary file ("bytes", base64) through from_bytes(); errors printed, whether a network came back and its
## model. With "path": also written there and read by load(), which must agree.
static func load_bytes(c: Dictionary) -> Dictionary:
	var capture := ErrorCapture.new()
	OS.add_logger(capture)
	var bytes := Marshalls.base64_to_raw(str(c.bytes))
	var out := _record(capture, LearnKit.serialize.from_bytes(bytes))
	if c.has("path"):
		var f := FileAccess.open(str(c.path), FileAccess.WRITE)
		f.store_buffer(bytes)
		f.close()
		capture.take()
		out["load"] = _record(capture, LearnKit.serialize.load(str(c.path)))
	OS.remove_logger(capture)
	return out


## load() of a path ("path") as it is: errors and whether a network came back.
static func load_path(c: Dictionary) -> Dictionary:
	var capture := ErrorCapture.new()
	OS.add_logger(capture)
	var out := _record(capture, LearnKit.serialize.load(str(c.path)))
	OS.remove_logger(capture)
	return out


## save() of the seed network to "path": the Error, the errors printed, and the folder's files afterwards.
static func save_path(c: Dictionary) -> Dictionary:
	var net := LearnKit.serialize.import(str(c.seed))
	var capture := ErrorCapture.new()
	OS.add_logger(capture)
	var err := LearnKit.serialize.save(net, str(c.path))
	var lines := capture.take()
	OS.remove_logger(capture)
	return {"error_code": err, "e": lines.size(), "lines": lines, "files": _files(str(c.path).get_base_dir())}


## What Godot's own FileAccess does to an existing file when it is opened for writing, before anything is
## written or the file is closed: the length the file has then (0: truncated in place, so a crash from here on
## loses the old contents; why LearnKit writes a temporary file and renames it, core/atomic_write.hpp).
static func fileaccess_in_place(c: Dictionary) -> Dictionary:
	var path := str(c.path)
	var old := FileAccess.open(path, FileAccess.WRITE)
	old.store_string("the previous contents")
	old.close()
	var before := FileAccess.get_file_as_bytes(path).size()
	var f := FileAccess.open(path, FileAccess.WRITE)
	var during := FileAccess.get_file_as_bytes(path).size()
	f.store_string("x")
	f.close()
	return {"before": before, "during": during, "files": _files(path.get_base_dir())}


## Saves the seed to "path", then again with the test hook LEARNKIT_TEST_CRASH_MID_SAVE set, which makes the
## library exit in the middle of writing (as a crash would): this case never returns.
static func crash_mid_save(c: Dictionary) -> Dictionary:
	var net := LearnKit.serialize.import(str(c.seed))
	if LearnKit.serialize.save(net, str(c.path)) != OK:
		return {"error": "the first save failed"}
	var other := LearnKit.sequential([LearnKit.dense(5, 3, "relu")], "kaiming", 1)
	OS.set_environment("LEARNKIT_TEST_CRASH_MID_SAVE", "1")
	LearnKit.serialize.save(other, str(c.path))
	OS.unset_environment("LEARNKIT_TEST_CRASH_MID_SAVE")
	return {"error": "the process survived the simulated crash"}


static func _files(dir: String) -> Dictionary:
	var out := {}
	for name in DirAccess.get_files_at(dir):
		out[name] = FileAccess.get_file_as_bytes(dir.path_join(name)).size()
	return out


static func _record(capture: ErrorCapture, loaded: LKNetwork) -> Dictionary:
	var lines := capture.take()
	var errors := 0
	for line in lines:
		if line.begins_with("ERROR") or line.begins_with("SCRIPT ERROR"):
			errors += 1
	var record := {"e": errors, "null": loaded == null, "first": lines[0] if lines.size() else ""}
	if loaded != null:
		record["model"] = JSON.stringify(loaded.model, "", false, true)
	return record
