extends "res://tests/scene_check.gd"
## Build-time SPIR-V and LearnKit.warm_up(), in a real frame loop (tests/test_spirv.py holds the checks). Writes one
## JSON object to --out and quits with 0 when every step ran. --mode:
##   cold:     the first GPU fit and predict of this process build their pipelines (no warm-up); the results and
##             the pipeline counters, then warm_up("gpu", "all") (every built-in kernel from its SPIR-V).
##   warm:     warm_up("gpu") first (timing, status, the finished signal), then fits and predicts of networks
##             made of common kernels; bad arguments; ends with a warm-up of "all" still running at quit.
##   headless: no RenderingDevice: warm_up("gpu") and ("auto") finish with success false, ("cpu") with true.

const ROWS := 64
const WIDTH := 8
var _finished: Array = []  # [label, success, milliseconds, on the main thread]


func _run() -> void:
	var mode := _option("--mode")
	var out: Dictionary = {"mode": mode}
	if mode == "cold":
		await _cold(out)
	elif mode == "warm":
		await _warm(out)
	else:
		await _headless(out)
	out["finished"] = _finished
	out["errors"] = Array(_capture.take())
	finish(out)


func _cold(out: Dictionary) -> void:
	out["before"] = LearnKit.get_device_info().gpu_pipelines
	out["fit"] = _fit_and_predict("relu", "softmax", "cce", "adam", "gpu")
	out["fit_cpu"] = _fit_and_predict("relu", "softmax", "cce", "adam", "cpu")
	out["after_fit"] = LearnKit.get_device_info().gpu_pipelines
	var warm := LearnKit.warm_up("gpu", "all")
	await _until_done(warm, "all")
	out["after_all"] = LearnKit.get_device_info().gpu_pipelines
	out["status"] = LearnKit.get_warm_up_status()


func _warm(out: Dictionary) -> void:
	out["status_before"] = LearnKit.get_warm_up_status()
	var start := Time.get_ticks_usec()
	var warm := LearnKit.warm_up("gpu")
	out["call_ms"] = (Time.get_ticks_usec() - start) / 1000.0
	out["status_running"] = LearnKit.get_warm_up_status()
	out["done_at_once"] = warm.done
	out["frames"] = await _until_done(warm, "common")
	out["until_done_ms"] = (Time.get_ticks_usec() - start) / 1000.0
	out["handle"] = {"done": warm.done, "success": warm.success, "milliseconds": warm.milliseconds}
	out["status_done"] = LearnKit.get_warm_up_status()
	out["after_warm_up"] = LearnKit.get_device_info().gpu_pipelines
	out["fits"] = [
		_fit_and_predict("relu", "softmax", "cce", "adam", "gpu"),
		_fit_and_predict("tanh", "sigmoid", "bce", "sgd", "gpu"),
		_fit_and_predict("leaky_relu", "identity", "mse", "adamw", "gpu"),
	]
	out["after_fits"] = LearnKit.get_device_info().gpu_pipelines
	# A second warm-up of the same kernels finds them built: it ends without building any.
	await _until_done(LearnKit.warm_up("auto"), "again")
	out["after_again"] = LearnKit.get_device_info().gpu_pipelines
	_capture.take()
	out["bad_device"] = LearnKit.warm_up("tpu") == null
	out["bad_kernels"] = LearnKit.warm_up("gpu", "most") == null
	out["bad_errors"] = Array(_capture.take())
	await _until_done(LearnKit.warm_up("cpu"), "cpu")
	# Quitting while a warm-up runs: shutdown stops it after the pipeline it is building, no crash, no hang.
	var running := LearnKit.warm_up("gpu", "all")
	await process_frame
	out["running_at_quit"] = not running.done


func _headless(out: Dictionary) -> void:
	_capture.take()
	await _until_done(LearnKit.warm_up("gpu"), "gpu")
	out["status"] = LearnKit.get_warm_up_status()
	await _until_done(LearnKit.warm_up("auto"), "auto")
	await _until_done(LearnKit.warm_up("cpu"), "cpu")


## Waits for the warm-up's finished signal (and a few frames more, to catch a second emission); returns the
## frames it took.
func _until_done(warm: LKWarmUp, label: String) -> int:
	warm.finished.connect(func(success: bool, ms: float) -> void:
		_finished.append([label, success, ms, OS.get_thread_caller_id() == _main_thread]))
	var frames := 0
	while not warm.done and frames < 100000:
		await process_frame
		frames += 1
	for i in 5:
		await process_frame
	return frames


## A small dense network trained for 3 epochs and its predictions; everything Python needs to check both.
func _fit_and_predict(hidden: String, output: String, loss: String, optimizer: String, device: String) -> Dictionary:
	var x := PackedFloat32Array()
	var y := PackedFloat32Array()
	var outputs := 1 if loss == "bce" else 3
	for r in ROWS:
		var s := 0.0
		for c in WIDTH:
			var v := sin(0.37 * r + 1.3 * c)
			x.append(v)
			s += v
		for o in outputs:
			if loss == "mse":
				y.append(s * (o + 1) * 0.1)
			else:
				y.append(1.0 if (o == posmod(r, outputs) if outputs > 1 else s > 0.0) else 0.0)
	var net := LearnKit.sequential([LearnKit.dense(WIDTH, 16, hidden), LearnKit.dense(16, outputs, output)],
			"kaiming", 3)
	net.device = device
	var trainer := LearnKit.trainer(net, {"loss": loss, "optimizer": optimizer, "epochs": 3, "batch_size": 16,
			"learning_rate": 1e-2, "shuffle": false})
	var history := trainer.fit_flat(x, y, ROWS)
	var params: Array = []
	for p: Dictionary in net.get_parameters():
		params.append({"weight": Array(p.weight), "bias": Array(p.bias)})
	return {"hidden": hidden, "output": output, "loss": Array(history.loss) if history else [],
			"backend": history.backend if history else "", "x": Array(x), "params": params,
			"predict": Array(net.predict_flat(x, ROWS))}
