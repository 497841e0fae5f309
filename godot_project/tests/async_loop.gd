extends "res://tests/scene_check.gd"
## Training without blocking, in a real scene loop: LKTrainer.fit_async() while frames are counted with
## [signal SceneTree.process_frame]. Writes one JSON object of measurements to --out and quits (0: every step
## ran; the checks are pytest's, in tests/test_async.py). --device picks the backend ("cpu" or "gpu");
## --quit-while-running ends with a job still running (shutdown must cancel and join it, not crash).

const ROWS := 256
const SEED := 7
var _running_job: LKTrainingJob  # kept for --quit-while-running


func _initialize() -> void:
	Engine.max_fps = 60  # a game's frame pacing: frames the main thread could not deliver show up as missing
	super()


func _run() -> void:
	var device := _option("--device")
	var out: Dictionary = {"device": device}
	await _measure(device, out)
	if _args.has("--quit-while-running"):
		var net := _network()
		var trainer := _trainer(net, device, 100000)
		_running_job = trainer.fit_async(_inputs(), _targets())
		await process_frame
		await process_frame
		out["running_at_quit"] = not _running_job.done
	out["errors"] = Array(_capture.take())
	finish(out)


func _measure(device: String, out: Dictionary) -> void:
	# Synchronous reference and the job length: enough epochs for the job to span many frames.
	var probe_net := _network()
	var probe := _trainer(probe_net, device, 20)
	probe.fit(_inputs(), _targets())  # warm-up: pipelines, arenas
	var probe_history := probe.fit(_inputs(), _targets())
	var epochs := clampi(int(2000.0 / maxf(probe_history.elapsed_ms / 20.0, 0.05)), 40, 5000)
	out["epochs"] = epochs
	var sync_net := _network()
	var sync_history := _trainer(sync_net, device, epochs).fit(_inputs(), _targets())
	out["sync_ms"] = sync_history.elapsed_ms
	out["sync_loss"] = Array(sync_history.loss)
	out["sync_params"] = _flat(sync_net)
	out["backend"] = sync_history.backend

	# The asynchronous run of the same fit, counting frames; then an idle run as long, on the same launch.
	var net := _network()
	var trainer := _trainer(net, device, epochs)
	var before := net.predict_flat(_inputs_flat(), ROWS)
	var events := {"epochs": [], "progress": [], "off_main": 0, "finished": 0}
	var job := trainer.fit_async(_inputs(), _targets())
	job.epoch_completed.connect(func(epoch: int, _loss: float) -> void:
		(events.epochs as Array).append(epoch)
		if OS.get_thread_caller_id() != _main_thread:
			events.off_main += 1)
	job.progress.connect(func(fraction: float) -> void:
		(events.progress as Array).append(fraction)
		if OS.get_thread_caller_id() != _main_thread:
			events.off_main += 1)
	job.finished.connect(func(_h: LKHistory) -> void:
		events.finished += 1
		if OS.get_thread_caller_id() != _main_thread:
			events.off_main += 1)
	# While it trains: a second fit is refused, predictions see the parameters from before the fit.
	out["second_fit_null"] = trainer.fit(_inputs(), _targets()) == null
	out["second_async_null"] = trainer.fit_async(_inputs(), _targets()) == null
	out["refusal_errors"] = Array(_capture.take())
	var start := Time.get_ticks_usec()
	var frames := 0
	var seen: Array[PackedFloat32Array] = []
	while not job.done:
		await process_frame
		frames += 1
		if frames % 10 == 0:
			seen.append(net.predict_flat(_inputs_flat(), ROWS))
	var async_ms := (Time.get_ticks_usec() - start) / 1000.0
	var history: LKHistory = await job.finished if events.finished == 0 else job.history
	# Each prediction is a consistent snapshot: the network before the fit, or (once the worker has written the
	# trained parameters back, which may come a frame before `done`) after it; never a mix of the two.
	var after := net.predict_flat(_inputs_flat(), ROWS)
	var predict_diff := 0.0
	var predictions := seen.size()
	for y in seen:
		predict_diff = maxf(predict_diff, minf(_max_diff(y, before), _max_diff(y, after)))
	out["async_ms"] = async_ms
	out["async_frames"] = frames
	out["predictions_during"] = predictions
	out["predict_diff_during"] = predict_diff
	out["async_loss"] = Array(history.loss)
	out["async_params"] = _flat(net)
	out["events_epochs"] = events.epochs
	out["events_progress"] = events.progress
	out["events_off_main"] = events.off_main
	out["events_finished"] = events.finished
	out["job_epoch"] = job.epoch
	out["job_cancelled"] = job.cancelled
	out["trainer_free_after"] = trainer.fit(_inputs(), _targets()) != null
	start = Time.get_ticks_usec()
	var idle_frames := 0
	while (Time.get_ticks_usec() - start) / 1000.0 < async_ms:
		await process_frame
		idle_frames += 1
	out["idle_frames"] = idle_frames

	# train_for(): a budget of 8 ms a frame until the same epochs are done, then the synchronous fit's numbers.
	var bnet := _network()
	var btrainer := _trainer(bnet, device, epochs)
	var budget_ms: Array = []
	var budget_losses: Array = []
	while btrainer.resume_epoch < epochs:
		var call_start := Time.get_ticks_usec()
		var bhistory := btrainer.train_for(_inputs(), _targets(), 8.0)
		budget_ms.append((Time.get_ticks_usec() - call_start) / 1000.0)
		if bhistory == null or bhistory.epochs == 0:
			break
		budget_losses.append_array(Array(bhistory.loss))
		await process_frame
	out["budget_call_ms"] = budget_ms
	out["budget_loss"] = budget_losses
	out["budget_params"] = _flat(bnet)
	out["budget_past_end_epochs"] = btrainer.train_for(_inputs(), _targets(), 8.0).epochs

	# cancel(): from a handler of the first epoch; the model is the same fit run for the epochs it completed.
	var cnet := _network()
	var ctrainer := _trainer(cnet, device, 100000)
	var cjob := ctrainer.fit_async(_inputs(), _targets())
	var at_cancel := [-1]
	cjob.epoch_completed.connect(func(_e: int, _l: float) -> void:
		if at_cancel[0] < 0:
			at_cancel[0] = cjob.epoch
			cjob.cancel())
	var chistory: LKHistory = await cjob.finished
	out["cancel_at_epoch"] = at_cancel[0]
	out["cancel_epochs"] = chistory.epochs
	out["cancel_stopped"] = chistory.stopped
	out["cancel_cancelled"] = cjob.cancelled
	var rnet := _network()
	_trainer(rnet, device, chistory.epochs).fit(_inputs(), _targets())
	out["cancel_params"] = _flat(cnet)
	out["cancel_ref_params"] = _flat(rnet)

	# Dropping the last reference to a running job cancels it and joins its thread: the trainer is free again.
	var dnet := _network()
	var dtrainer := _trainer(dnet, device, 100000)
	var djob := dtrainer.fit_async(_inputs(), _targets())
	await process_frame
	djob = null
	var dropped_start := Time.get_ticks_usec()
	out["dropped_free_after"] = _trainer(dnet, device, 2).fit(_inputs(), _targets()) != null
	out["dropped_ms"] = (Time.get_ticks_usec() - dropped_start) / 1000.0


func _network() -> LKNetwork:
	return LearnKit.sequential([LearnKit.dense(8, 64, "tanh"), LearnKit.dense(64, 64, "relu"),
			LearnKit.dense(64, 4, "identity")], "xavier", SEED)


func _trainer(net: LKNetwork, device: String, epochs: int) -> LKTrainer:
	return LearnKit.trainer(net, {"loss": "mse", "epochs": epochs, "batch_size": 32, "seed": SEED,
			"device": device, "learning_rate": 1e-3})


func _inputs_flat() -> PackedFloat32Array:
	var x := PackedFloat32Array()
	for i in ROWS * 8:
		x.append(sin(i * 0.37))
	return x


func _inputs() -> Array:
	var x := _inputs_flat()
	var rows: Array = []
	for r in ROWS:
		rows.append(x.slice(r * 8, r * 8 + 8))
	return rows


func _targets() -> Array:
	var rows: Array = []
	for r in ROWS:
		rows.append(PackedFloat32Array([cos(r * 0.1), sin(r * 0.2), 0.5, -0.25]))
	return rows


func _flat(net: LKNetwork) -> Array:
	var values: Array = []
	_append_floats(net.get_parameters(), values)
	return values


## Every float in nested Arrays, Dictionaries (in key order) and PackedFloat32Arrays, in order.
func _append_floats(value: Variant, values: Array) -> void:
	if value is PackedFloat32Array:
		values.append_array(Array(value as PackedFloat32Array))
	elif value is Array:
		for item: Variant in value:
			_append_floats(item, values)
	elif value is Dictionary:
		for key: Variant in value:
			_append_floats((value as Dictionary)[key], values)


func _max_diff(a: PackedFloat32Array, b: PackedFloat32Array) -> float:
	var m := 0.0
	for i in a.size():
		m = maxf(m, absf(a[i] - b[i]))
	return m
