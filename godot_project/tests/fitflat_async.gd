extends "res://tests/scene_check.gd"
## fit_async_flat() in a real scene loop: flat arrays, flat validation_data, metrics, a plateau schedule on
## val_loss and an on_epoch Callable; its signals and the callback must arrive on the main thread, in order, and
## its history must be fit_flat()'s. Writes one JSON object to --out and quits; tests/test_fit_flat_options.py
## judges it. --device: "cpu" or "gpu"; --epochs: the fit's length (long enough that the main loop runs while the
## worker still trains; every epoch's on_epoch call must arrive, in order, before finished).

const ROWS := 60
const VAL_ROWS := 20


func _run() -> void:
	var device := _option("--device")
	var epochs := int(_option("--epochs"))
	var out: Dictionary = {"device": device}
	var x := _inputs(ROWS, 0)
	var t := _targets(ROWS, 0)
	var options := {"validation_data": [_inputs(VAL_ROWS, 1000), _targets(VAL_ROWS, 1000)],
			"metrics": ["accuracy"]}

	var sync_history := _trainer(_network(), device, epochs).fit_flat(x, t, ROWS, options)
	out["sync"] = _record(sync_history)

	var calls: Array = []
	var signalled: Array = []
	var progress: Array = []
	var async_options := options.duplicate()
	async_options["on_epoch"] = func(epoch: int, logs: Dictionary) -> bool:
		calls.append({"epoch": epoch, "main": OS.get_thread_caller_id() == _main_thread, "logs": logs.duplicate()})
		return true
	var job := _trainer(_network(), device, epochs).fit_async_flat(x, t, ROWS, async_options)
	out["returned_job"] = job != null
	if job == null:
		out["errors"] = Array(_capture.take())
		finish(out)
		return
	job.epoch_metrics.connect(func(epoch: int, logs: Dictionary) -> void:
		signalled.append({"epoch": epoch, "main": OS.get_thread_caller_id() == _main_thread,
				"val_loss": float(logs.get("val_loss", -1.0))}))
	job.progress.connect(func(fraction: float) -> void:
		progress.append({"fraction": fraction, "main": OS.get_thread_caller_id() == _main_thread}))
	var history: LKHistory = await job.finished
	out["async"] = _record(history)
	out["calls"] = calls
	out["signalled"] = signalled
	out["progress"] = progress
	out["done"] = job.done
	out["errors"] = Array(_capture.take())
	finish(out)


func _record(h: LKHistory) -> Dictionary:
	if h == null:
		return {}
	return {"epochs": h.epochs, "loss": Array(h.loss), "val_loss": Array(h.val_loss),
			"learning_rates": Array(h.learning_rates), "val_accuracy": Array(h.metrics.get("val_accuracy", []))}


func _network() -> LKNetwork:
	return LearnKit.sequential([LearnKit.dense(4, 16, "tanh"), LearnKit.dense(16, 3, "softmax")], "xavier", 11)


func _trainer(net: LKNetwork, device: String, epochs: int) -> LKTrainer:
	var trainer := LearnKit.trainer(net, {"loss": "cce", "epochs": epochs, "batch_size": 16, "learning_rate": 0.05,
			"device": device, "seed": 5})
	trainer.schedule = LearnKit.schedule("plateau", {"monitor": "val_loss", "factor": 0.5, "patience": 0,
			"threshold": 0.05})
	return trainer


## rows x 4 features, row-major; the class is i % 3 (offset: another sample of the same rule).
func _inputs(n: int, offset: int) -> PackedFloat32Array:
	var out := PackedFloat32Array()
	for r in n:
		var i := r + offset
		var c := i % 3
		out.append_array([sin(i * 1.3) + c, cos(i * 0.7), c * 0.5 - sin(i * 0.3), 0.1 * (i % 7)])
	return out


## One-hot rows of i % 3.
func _targets(n: int, offset: int) -> PackedFloat32Array:
	var out := PackedFloat32Array()
	for r in n:
		var c := (r + offset) % 3
		out.append_array([1.0 if c == 0 else 0.0, 1.0 if c == 1 else 0.0, 1.0 if c == 2 else 0.0])
	return out
