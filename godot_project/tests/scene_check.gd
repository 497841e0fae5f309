extends SceneTree
## Base of the scene-loop checks (async_loop.gd, brain_loop.gd, fitopts_async.gd, spirv_check.gd): a real main
## loop with an error capture, the main thread's id for "was this signal on the main thread?", the script's
## `--name value` arguments, and the one JSON object each writes to --out before quitting with 0 (pytest judges
## it). A check overrides _run() (started deferred, so frames run while it awaits) and calls finish(out).

const ErrorCapture := preload("res://tests/error_capture.gd")

var _capture: ErrorCapture = ErrorCapture.new()
var _main_thread := 0
var _args := PackedStringArray()


func _initialize() -> void:
	OS.add_logger(_capture)
	_main_thread = OS.get_thread_caller_id()
	_args = OS.get_cmdline_user_args()
	_run.call_deferred()


## The check itself; must end with finish(out).
func _run() -> void:
	finish({"errors": ["scene_check.gd: _run() is not overridden"]})


## The value after `name` on the command line after `--`, or "" when absent.
func _option(name: String) -> String:
	var i := _args.find(name)
	return _args[i + 1] if i >= 0 and i + 1 < _args.size() else ""


## Writes out as JSON to --out and quits with 0.
func finish(out: Dictionary) -> void:
	var file := FileAccess.open(_option("--out"), FileAccess.WRITE)
	file.store_string(JSON.stringify(out, "", false, true))
	file.close()
	OS.remove_logger(_capture)
	quit(0)
