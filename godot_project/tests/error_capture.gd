extends Logger
## Collects the errors Godot reports (push_error, C++ ERR_* macros, script errors) while a test case runs,
## so that each case's result lists the errors it caused.
##
## Installed with [method OS.add_logger]; Godot may call it from any thread, hence the mutex.

var _mutex := Mutex.new()
var _lines: PackedStringArray = []


## Returns the errors collected since the last call and forgets them.
## Each line reads like Godot's own output: "ERROR: <message>" or "SCRIPT ERROR: <message>" or "WARNING: ...".
func take() -> PackedStringArray:
	_mutex.lock()
	var lines := _lines
	_lines = PackedStringArray()
	_mutex.unlock()
	return lines


func _log_error(function: String, file: String, line: int, code: String, rationale: String,
		_editor_notify: bool, error_type: int, _script_backtraces: Array[ScriptBacktrace]) -> void:
	var prefix: String = ["ERROR", "WARNING", "SCRIPT ERROR", "SHADER ERROR"][clampi(error_type, 0, 3)]
	var message := code if rationale.is_empty() else "%s: %s" % [code, rationale]
	_mutex.lock()
	_lines.append("%s: %s (at %s:%d in %s)" % [prefix, message, file, line, function])
	_mutex.unlock()
