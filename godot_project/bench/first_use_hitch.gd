## The main thread's worst frame around the first GPU predict() and the first GPU fit() of a process, and the
## same calls once warm (issue 15: the first GPU use must not hitch a frame). Runs a real frame loop (a window,
## frames rendered; frame time = time between process_frame signals) and calls predict()/fit() at the start of a
## frame, as a game would. One process measures one mode, because "first use" happens once per process:
##   tools/godot -s res://bench/first_use_hitch.gd -- --mode cold      # no warm-up: the first call builds it all
##   tools/godot -s res://bench/first_use_hitch.gd -- --mode warm_up   # LearnKit.warm_up() first, then the calls
##   tools/godot -s res://bench/first_use_hitch.gd -- --mode startup   # with the project setting
##       learnkit/gpu/prepare_at_startup = "common" (e.g. from an override.cfg next to project.godot): the device
##       was created before the first frame; the frames while its pipelines build are "startup_warm_up"
## Options: --kernels common|all (what warm_up builds), --frames N (frames watched after each call, 20),
## --custom (the hidden layers use a custom activation, a silu registered first: its kernels are compiled from
## GLSL at run time, by the first fit or by warm_up).
## Prints one line "LEARNKIT_FIRST_USE {json}" (times in ms): idle_worst_frame, warm_up {call, until_done,
## worst_frame, frames} (startup mode: startup_warm_up {device_ms, worst_frame, frames}), and for first_predict, first_fit, warm_predict, warm_fit: {call, worst_frame}
## (worst_frame: the slowest frame from the call's frame to `frames` frames later, the call's own included);
## async_fit {epochs, steps, ms, frames, worst_frame}: a 200-epoch fit_async on the GPU while frames run;
## pipelines: get_device_info().gpu_pipelines at the end. A benchmark, not a test: it exits 1 only when the
## GPU is missing or a call fails.
extends SceneTree

const ROWS := 256
const WIDTH := 8

var _last_usec := 0
var _frame_ms := 0.0  # duration of the frame that just ended


func _init() -> void:
	var args := OS.get_cmdline_user_args()
	var mode := _arg(args, "--mode", "cold")
	var kernels := _arg(args, "--kernels", "common")
	var watch := int(_arg(args, "--frames", "20"))
	if "--custom" in args and LearnKit.register_activation("custom_silu", "x * lk_sigmoid(x)",
			"lk_sigmoid(x) * (1.0 + x * (1.0 - lk_sigmoid(x)))") != OK:
		quit(2)
		return
	if mode not in ["cold", "warm_up", "startup"]:
		push_error("first_use_hitch: --mode %s: expected cold, warm_up or startup" % mode)
		quit(2)
		return
	process_frame.connect(_on_frame)
	_run.call_deferred(mode, kernels, watch)  # after the engine's startup (the startup mode reads what it did)


func _on_frame() -> void:
	var now := Time.get_ticks_usec()
	if _last_usec > 0:
		_frame_ms = (now - _last_usec) / 1000.0
	_last_usec = now


func _run(mode: String, kernels: String, watch: int) -> void:
	var hidden := "custom_silu" if "--custom" in OS.get_cmdline_user_args() else "relu"
	var result := {"mode": mode, "kernels": kernels, "rows": ROWS, "hidden": hidden}
	if mode == "startup":
		# What the startup hook prepared (get_device_info() itself never creates the device).
		var prepared: String = LearnKit.get_device_info().gpu_prepared_at_startup
		if prepared == "":
			_fail("--mode startup needs the project setting learnkit/gpu/prepare_at_startup (e.g. in override.cfg)")
			return
		var worst := 0.0
		var frames := 0
		while LearnKit.get_warm_up_status() == "running":
			await process_frame
			worst = maxf(worst, _frame_ms)
			frames += 1
		result["startup_warm_up"] = {"prepared": prepared, "device_ms": LearnKit.get_device_info().gpu_device_ms,
				"worst_frame": worst, "frames": frames, "status": LearnKit.get_warm_up_status()}
	result["idle_worst_frame"] = await _worst_of_next(30)

	if mode == "warm_up":
		var start := Time.get_ticks_usec()
		var warm := LearnKit.warm_up("gpu", kernels)
		var call_ms := (Time.get_ticks_usec() - start) / 1000.0
		var worst := 0.0
		var frames := 0
		while not warm.done:
			await process_frame
			worst = maxf(worst, _frame_ms)
			frames += 1
		result["warm_up"] = {"call": call_ms, "until_done": (Time.get_ticks_usec() - start) / 1000.0,
				"worst_frame": worst, "frames": frames, "success": warm.success}
		if not warm.success:
			_fail("warm_up failed (no GPU?)")
			return
		await _worst_of_next(10)  # let the frame loop settle

	var x := PackedFloat32Array()
	var y := PackedFloat32Array()
	x.resize(ROWS * WIDTH)
	y.resize(ROWS * 2)
	for r in ROWS:
		var s := 0.0
		for c in WIDTH:
			x[r * WIDTH + c] = randf_range(-1.0, 1.0)
			s += x[r * WIDTH + c]
		y[r * 2 + (1 if s > 0.0 else 0)] = 1.0
	# The issue's example: 8-32-32-2, as one network shared by a crowd of NPCs.
	var net := LearnKit.sequential([LearnKit.dense(WIDTH, 32, hidden), LearnKit.dense(32, 32, hidden),
			LearnKit.dense(32, 2, "softmax")], "kaiming", 7)
	net.device = "gpu"
	var trainer := LearnKit.trainer(net, {"loss": "cce", "optimizer": "adam", "epochs": 2, "batch_size": 32,
			"learning_rate": 1e-2})
	var predict := func() -> bool: return net.predict_flat(x, ROWS).size() == ROWS * 2
	var fit := func() -> bool: return trainer.fit_flat(x, y, ROWS) != null

	for step: Array in [["first_predict", predict], ["first_fit", fit], ["warm_predict", predict],
			["warm_fit", fit]]:
		await process_frame  # the call runs at the start of a frame, as in a game's _process
		var start := Time.get_ticks_usec()
		var ok: bool = (step[1] as Callable).call()
		var call_ms := (Time.get_ticks_usec() - start) / 1000.0
		if not ok:
			_fail("%s failed" % step[0])
			return
		result[step[0]] = {"call": call_ms, "worst_frame": await _worst_of_next(watch)}

	# A longer GPU fit on a worker thread while frames run (the game keeps drawing: how long are its frames?).
	trainer.epochs = 200
	var rows_x: Array = []
	var rows_y: Array = []
	for r in ROWS:
		rows_x.append(x.slice(r * WIDTH, (r + 1) * WIDTH))
		rows_y.append(y.slice(r * 2, r * 2 + 2))
	var job := trainer.fit_async(rows_x, rows_y)
	var job_start := Time.get_ticks_usec()
	var job_worst := 0.0
	var job_frames := 0
	while not job.done:
		await process_frame
		job_worst = maxf(job_worst, _frame_ms)
		job_frames += 1
	var job_ms := (Time.get_ticks_usec() - job_start) / 1000.0
	result["async_fit"] = {"epochs": 200, "steps": 200 * ROWS / 32, "ms": job_ms, "frames": job_frames,
			"worst_frame": job_worst}

	var info := LearnKit.get_device_info()
	if info.last_backend != "gpu":
		_fail("the calls did not run on the GPU (last_backend %s)" % info.last_backend)
		return
	result["device"] = info.gpu_name
	result["pipelines"] = info.gpu_pipelines
	print("LEARNKIT_FIRST_USE ", JSON.stringify(result))
	quit(0)


## The slowest of the next n frames (the one in progress included).
func _worst_of_next(n: int) -> float:
	var worst := 0.0
	for i in n:
		await process_frame
		worst = maxf(worst, _frame_ms)
	return worst


func _arg(args: PackedStringArray, name: String, fallback: String) -> String:
	var i := args.find(name)
	return args[i + 1] if i >= 0 and i + 1 < args.size() else fallback


func _fail(message: String) -> void:
	push_error("first_use_hitch: " + message)
	quit(1)
