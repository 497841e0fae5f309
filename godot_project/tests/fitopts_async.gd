extends "res://tests/scene_check.gd"
## fit_async() with fit()'s options, in a real scene loop (the job's signals and its on_epoch Callable arrive
## through the main loop): validation_split + metrics + an on_epoch that returns false at epoch STOP_AT, and
## early stopping with restore_best_weights. Writes one JSON object to --out and quits; tests/test_fit_options.py
## judges it. --device: "cpu" or "gpu"; --epochs: the length of the cancelled job (long enough that the main loop
## runs before the worker ends it: the CPU runs an epoch of this tiny network in microseconds).

const ROWS := 80
const STOP_AT := 2


func _run() -> void:
	var device := _option("--device")
	var epochs := int(_option("--epochs"))
	var out: Dictionary = {"device": device, "epochs": epochs}
	var x := _inputs()
	var labels := _labels()
	var options := {"validation_split": 0.25, "metrics": ["accuracy"]}

	# The synchronous reference: the same fit, all its epochs.
	var sync_net := _network()
	var sync_history := _trainer(sync_net, device, epochs).fit(x, labels, options)
	out["sync_val_loss"] = Array(sync_history.val_loss)
	out["sync_val_accuracy"] = Array(sync_history.metrics["val_accuracy"])

	var net := _network()
	var calls: Array = []
	var signalled: Array = []
	var async_options := options.duplicate()
	async_options["on_epoch"] = func(epoch: int, logs: Dictionary) -> bool:
		calls.append({"epoch": epoch, "main": OS.get_thread_caller_id() == _main_thread, "logs": logs.duplicate()})
		return epoch < STOP_AT
	var job := _trainer(net, device, epochs).fit_async(x, labels, async_options)
	job.epoch_metrics.connect(func(epoch: int, logs: Dictionary) -> void:
		signalled.append({"epoch": epoch, "main": OS.get_thread_caller_id() == _main_thread,
				"logs": logs.duplicate()}))
	var history: LKHistory = await job.finished
	out["async"] = {"epochs": history.epochs, "stopped": history.stopped, "cancelled": job.cancelled,
			"val_loss": Array(history.val_loss), "val_accuracy": Array(history.metrics["val_accuracy"]),
			"calls": calls, "signalled": signalled}

	# Early stopping: a linear model learning y = x . w, validated against -y, from zero weights (the validation
	# loss grows every epoch: epoch 0 is the best, patience 2 stops after epoch 2).
	var one := _linear()
	_linear_trainer(one, device, 1).fit(_lin_x(), _lin_t(1.0))
	var lin := _linear()
	var early := {"validation_data": [_lin_x(), _lin_t(-1.0)],
			"early_stopping": {"patience": 2, "restore_best_weights": true}}
	var lin_job := _linear_trainer(lin, device, 30).fit_async(_lin_x(), _lin_t(1.0), early)
	var lin_history: LKHistory = await lin_job.finished
	out["early"] = {"epochs": lin_history.epochs, "best_epoch": lin_history.best_epoch,
			"early_stopped": lin_history.early_stopped, "val_loss": Array(lin_history.val_loss),
			"restored": var_to_str(lin.get_parameters()) == var_to_str(one.get_parameters()),
			"params": var_to_str(lin.get_parameters()), "epoch0": var_to_str(one.get_parameters())}
	out["errors"] = Array(_capture.take())
	finish(out)


func _network() -> LKNetwork:
	return LearnKit.sequential([LearnKit.dense(4, 16, "tanh"), LearnKit.dense(16, 3, "softmax")], "xavier", 11)


func _trainer(net: LKNetwork, device: String, epochs: int) -> LKTrainer:
	return LearnKit.trainer(net, {"loss": "cce", "epochs": epochs, "batch_size": 16, "learning_rate": 0.02,
			"device": device, "seed": 5})


func _inputs() -> Array:
	var rows: Array = []
	for i in ROWS:
		var c := i % 3
		rows.append(PackedFloat32Array([sin(i * 1.3) + c, cos(i * 0.7), c * 0.5 - sin(i * 0.3), 0.1 * (i % 7)]))
	return rows


func _labels() -> Array:
	var out: Array = []
	for i in ROWS:
		out.append(i % 3)
	return out


func _linear() -> LKNetwork:
	var net := LearnKit.sequential([LearnKit.dense(2, 1)], "xavier", 0)
	net.set_parameters([{"weight": PackedFloat32Array([0.0, 0.0]), "bias": PackedFloat32Array([0.0])}])
	return net


func _linear_trainer(net: LKNetwork, device: String, epochs: int) -> LKTrainer:
	return LearnKit.trainer(net, {"loss": "mse", "optimizer": "sgd", "learning_rate": 0.05, "epochs": epochs,
			"batch_size": 4, "shuffle": false, "device": device})


func _lin_x() -> Array:
	return [PackedFloat32Array([1, 0]), PackedFloat32Array([0, 1]), PackedFloat32Array([2, 0]),
			PackedFloat32Array([0, 2])]


func _lin_t(sign: float) -> Array:
	var out: Array = []
	for row: PackedFloat32Array in _lin_x():
		out.append(PackedFloat32Array([sign * (1.5 * row[0] - 2.0 * row[1])]))
	return out
