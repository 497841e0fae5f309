extends SceneTree
## The demos' headless report: trains each demo's network from scratch on each backend and prints its score
## against the demo's threshold.
## [codeblock]
## tools/godot --headless -s res://demos/report.gd                 # every demo, CPU
## tools/godot -s res://demos/report.gd -- digits --device gpu      # one demo on the GPU (needs a display)
## tools/godot -s res://demos/report.gd -- --json user://report.json  # also write the numbers as JSON
## [/codeblock]
## Options: demo names (digits, doodles, curve, xor, iris; default all), [code]--device cpu|gpu|all[/code]
## (default: every backend this run has), [code]--epochs N[/code] (instead of each demo's own),
## [code]--json PATH[/code]. Exit code: 0 when every demo reached its threshold on every device, 1 otherwise.

const ClassReport := preload("res://demos/lib/class_report.gd")
const DemoSettings := preload("res://demos/lib/demo_settings.gd")
## The tasks by name, in report order.
const TASKS := {
	"digits": preload("res://demos/lib/digits_task.gd"),
	"doodles": preload("res://demos/lib/doodles_task.gd"),
	"curve": preload("res://demos/lib/curve_task.gd"),
	"xor": preload("res://demos/lib/xor_task.gd"),
	"iris": preload("res://demos/lib/iris_task.gd"),
}


func _initialize() -> void:
	# NOTE: a function stopped by a script error returns false, so a script error fails the report too.
	quit(0 if _main(OS.get_cmdline_user_args()) else 1)


func _main(args: PackedStringArray) -> bool:
	var names := PackedStringArray()
	var device := "all"
	var epochs := 0
	var json_path := ""
	var i := 0
	while i < args.size():
		match args[i]:
			"--device":
				i += 1
				device = args[i] if i < args.size() else ""
			"--epochs":
				i += 1
				epochs = args[i].to_int() if i < args.size() else 0
			"--json":
				i += 1
				json_path = args[i] if i < args.size() else ""
			_:
				if not TASKS.has(args[i]):
					printerr("report: unknown demo '%s' (expected one of %s)" % [args[i], ", ".join(TASKS.keys())])
					return false
				names.append(args[i])
		i += 1
	if names.is_empty():
		names = PackedStringArray(TASKS.keys())
	var devices := PackedStringArray(["cpu", "gpu"] if device == "all" else [device])
	if device == "all" and not DemoSettings.gpu_available():
		devices = PackedStringArray(["cpu"])
		print("GPU: none (%s): CPU only" % LearnKit.get_device_info().get("gpu_unavailable_reason", "?"))
	for d in devices:
		if d not in ["cpu", "gpu"] or (d == "gpu" and not DemoSettings.gpu_available()):
			printerr("report: device '%s' is not available here (cpu, or gpu with a display)" % d)
			return false
	var passed := true
	var results: Array = []
	for name in names:
		var started := Time.get_ticks_msec()
		var task: Variant = TASKS[name].new()
		var data_ms := Time.get_ticks_msec() - started
		for d in devices:
			var r: Dictionary = task.run_report(d, epochs)
			if r.has("error"):
				printerr("[%s] %s: %s" % [d, name, r.error])
				passed = false
				continue
			var net: LKNetwork = r.network
			r.erase("network")
			r["device"] = d
			r["data_ms"] = data_ms
			print("[%s] %s: accuracy %.2f%% (threshold %.0f%%), %d epochs in %.0f ms on %s: %s -- %s" % [d, name,
					r.accuracy, r.threshold, r.epochs, r.time_ms, r.backend, r.device_name,
					"OK" if r.passed else "BELOW THRESHOLD"])
			if task.class_names.size() > 2:
				var c := ClassReport.confusion(net, task.test_inputs, task.test_targets, task.class_names.size())
				for line in ClassReport.format(c, task.class_names):
					print("    " + line)
			passed = passed and r.passed and r.backend == d
			results.append(r)
	if json_path != "":
		var out := FileAccess.open(json_path, FileAccess.WRITE)
		if out == null:
			printerr("report: cannot write %s" % json_path)
			return false
		out.store_string(JSON.stringify(results, "  "))
	print("demos report: %s" % ("OK" if passed else "FAILED"))
	return passed
