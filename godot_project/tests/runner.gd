extends SceneTree
## LearnKit's GDScript test runner: runs a list of test cases in one Godot launch and writes their results.
##
## [codeblock]
## tools/godot [--headless] -s res://tests/runner.gd -- --cases /abs/cases.json --out /abs/results.json
## [/codeblock]
## [b]Cases[/b]: a JSON list of [code]{"id": String, "kind": "<area>.<name>", ...params}[/code]. Kind
## [code]forward.predict[/code] calls the static function [code]predict(case: Dictionary) -> Dictionary[/code]
## of [code]res://tests/cases/forward.gd[/code]; adding a case kind means adding one static function there.
## [b]Results[/b]: a JSON list of [code]{"id", "ok": bool, "error": String, "errors": [String], "ms": float,
## ...outputs}[/code], in case order. [code]ok[/code] is false when the case reported an [code]"error"[/code]
## or raised a script error; Godot errors (push_error) are listed in [code]errors[/code] and are not failures
## by themselves: pytest judges them, and the numbers.
## [b]Progress[/b]: [code]<out>.progress[/code] gets one JSON line per event ([code]{"start": id}[/code], then
## the result), flushed at once, so that the caller can tell which case a crash happened in.
## [b]Exit code[/b]: 0 when every case ran (whatever its outputs), 2 when the runner itself failed.

const CASES_DIR := "res://tests/cases/"
const ErrorCapture := preload("res://tests/error_capture.gd")

var _capture: ErrorCapture = ErrorCapture.new()
var _areas: Dictionary = {}  # area name -> GDScript, or String (why it could not be loaded)


func _initialize() -> void:
	OS.add_logger(_capture)
	# NOTE: a function stopped by a script error returns its type's default (false): that is a runner failure too.
	var completed := _main(OS.get_cmdline_user_args())
	OS.remove_logger(_capture)
	quit(0 if completed else 2)


## Runs the cases file named on the command line; true when every case ran and the results were written.
func _main(args: PackedStringArray) -> bool:
	var cases_path := _option(args, "--cases")
	var out_path := _option(args, "--out")
	if cases_path.is_empty() or out_path.is_empty():
		printerr("runner: usage: -s res://tests/runner.gd -- --cases CASES.json --out RESULTS.json (got %s)" % [args])
		return false
	var text := FileAccess.get_file_as_string(cases_path)
	if text.is_empty():
		printerr("runner: cannot read the cases file '%s' (%s)" % [cases_path,
				error_string(FileAccess.get_open_error())])
		return false
	var json := JSON.new()
	if json.parse(text) != OK or typeof(json.data) != TYPE_ARRAY:
		printerr("runner: '%s' is not a JSON list of cases (line %d: %s)" % [cases_path, json.get_error_line(),
				json.get_error_message()])
		return false
	var progress := FileAccess.open(out_path + ".progress", FileAccess.WRITE)
	if progress == null:
		printerr("runner: cannot write '%s.progress' (%s)" % [out_path, error_string(FileAccess.get_open_error())])
		return false
	var results: Array = []
	for item: Variant in json.data:
		var case: Dictionary = item if typeof(item) == TYPE_DICTIONARY else {"id": str(item), "kind": ""}
		progress.store_line(JSON.stringify({"start": str(case.get("id", ""))}))
		progress.flush()
		var result := _run_case(case)
		results.append(result)
		progress.store_line(JSON.stringify(result, "", false, true))
		progress.flush()
	progress.close()
	var out := FileAccess.open(out_path, FileAccess.WRITE)
	if out == null:
		printerr("runner: cannot write '%s' (%s)" % [out_path, error_string(FileAccess.get_open_error())])
		return false
	out.store_string(JSON.stringify(results, "", false, true))
	out.close()
	return true


## Runs one case and returns its result; never stops the run.
func _run_case(case: Dictionary) -> Dictionary:
	var id := str(case.get("id", ""))
	var kind := str(case.get("kind", ""))
	_capture.take()  # Errors raised between cases belong to no case.
	var started := Time.get_ticks_usec()
	var outputs: Dictionary = {}
	var error := ""
	var parts := kind.split(".")
	if parts.size() != 2 or not parts[0].is_valid_identifier() or not parts[1].is_valid_identifier():
		error = "bad kind '%s': expected '<area>.<name>'" % kind
	else:
		var area: Variant = _area(parts[0])
		if area is String:
			error = area
		elif not (area as GDScript).has_method(parts[1]):
			error = "unknown case kind '%s': %s%s.gd has no static function '%s'" % [kind, CASES_DIR, parts[0],
					parts[1]]
		else:
			var returned: Variant = (area as GDScript).call(parts[1], case)
			if typeof(returned) == TYPE_DICTIONARY:
				outputs = returned
			else:
				error = "case function returned %s, not a Dictionary" % type_string(typeof(returned))
	var errors := _capture.take()
	if error.is_empty():
		error = str(outputs.get("error", ""))
	if error.is_empty():
		for line in errors:
			if line.begins_with("SCRIPT ERROR"):
				error = "the case stopped on a script error: " + line
				break
	var result := outputs.duplicate()
	result["id"] = id
	result["ok"] = error.is_empty()
	result["error"] = error
	result["errors"] = errors
	result["ms"] = (Time.get_ticks_usec() - started) / 1000.0
	return result


## The case file of an area, loaded once; a String says why it could not be loaded.
func _area(name: String) -> Variant:
	if not _areas.has(name):
		var path := CASES_DIR + name + ".gd"
		if not ResourceLoader.exists(path):
			_areas[name] = "unknown case area '%s': no file %s" % [name, path]
		else:
			var script := load(path) as GDScript
			if script == null or not script.can_instantiate():
				_areas[name] = "%s does not compile: %s" % [path, "; ".join(_capture.take())]
			else:
				_areas[name] = script
	return _areas[name]


func _option(args: PackedStringArray, name: String) -> String:
	var i := args.find(name)
	return args[i + 1] if i >= 0 and i + 1 < args.size() else ""
