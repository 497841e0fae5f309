extends "res://tests/brain_check.gd"
## LKBrain and LKReplayBuffer in a real scene loop (tests/test_brain.py): a scene whose LKBrain holds a saved
## network resource, step() next to LKTrainer.step(), fit_async() with the signals the node re-emits, freeing the
## node while its job runs, online learning over frames, the replay buffer's ring and sampling, and bad input.
## Writes one JSON object of measurements to --out and quits; the checks (against NumPy) are pytest's.
## --device picks the backend ("cpu" or "gpu").


func _run() -> void:
	_device = _option("--device")
	var out: Dictionary = {"device": _device}
	var brain := await _scene(out)
	_step(out)
	await _fit_async(out)
	await _free_while_running(out)
	await _online(brain, out)
	_replay(out)
	_errors(out)
	# Read the SVG itself, not its import: a fresh clone has no .godot/imported until the editor imports once.
	var icon := Image.new()
	var icon_err := icon.load_svg_from_buffer(FileAccess.get_file_as_bytes("res://addons/learnkit/icons/LKBrain.svg"))
	out["icon_is_texture"] = icon_err == OK and icon.get_width() > 0
	out["stray_errors"] = Array(_capture.take())
	finish(out)


## The scene from brain_scene.tscn: its brain's network is brain_net.tres; predictions three ways.
func _scene(out: Dictionary) -> LKBrain:
	var scene: PackedScene = load("res://tests/brain_scene.tscn")
	var node := scene.instantiate()
	root.add_child(node)
	await process_frame
	var brain: LKBrain = node.get_node("Brain")
	brain.network.device = _device
	brain.device = _device
	out["scene_class"] = brain.get_class()
	out["scene_is_brain"] = brain is LKBrain
	out["scene_network_is_tres"] = brain.network == load("res://tests/brain_net.tres")
	out["scene_settings"] = {"learning_rate": brain.learning_rate, "batch_size": brain.batch_size,
			"steps_per_frame": brain.steps_per_frame, "frame_budget_ms": brain.frame_budget_ms,
			"replay_capacity": brain.replay_buffer.capacity, "loss": brain.loss, "optimizer": brain.optimizer,
			"online_learning": brain.online_learning}
	var rows := _grid(5)
	out["scene_inputs"] = _flat_rows(rows)
	out["scene_params"] = _params(brain.network)
	out["scene_brain_predict"] = _flat_rows(brain.predict(rows))
	out["scene_net_predict"] = _flat_rows(brain.network.predict(rows))
	var ones: Array = []
	for row: PackedFloat32Array in rows:
		ones.append(brain.predict_one(row))
	out["scene_predict_one"] = _flat_rows(ones)
	out["scene_predict_one_array"] = Array(brain.predict_one([0.25, -0.5]))
	out["scene_errors"] = Array(_capture.take())
	return brain


## step() on a brain and LKTrainer.step() on a copy of its network, same data and settings; and one SGD step.
func _step(out: Dictionary) -> void:
	var net := _network(11)
	var twin: LKNetwork = net.duplicate()
	var brain := LKBrain.new()
	brain.network = net
	brain.device = _device
	brain.learning_rate = 0.01
	root.add_child(brain)
	var trainer := LearnKit.trainer(twin, {"loss": "mse", "learning_rate": 0.01, "device": _device})
	var x := _grid(4)
	var y := _targets(x)
	out["step_before"] = _params(net)
	var brain_losses: Array = []
	var trainer_losses: Array = []
	for k in 3:
		brain_losses.append(brain.step(x, y))
		trainer_losses.append(trainer.step(x, y))
	out["step_brain_loss"] = brain_losses
	out["step_trainer_loss"] = trainer_losses
	out["step_brain_params"] = _params(net)
	out["step_trainer_params"] = _params(twin)
	out["step_last_loss"] = brain.last_loss
	# SGD, one step: pytest does the same step with NumPy's backpropagation.
	var snet := _network(12)
	var sbrain := LKBrain.new()
	sbrain.network = snet
	sbrain.device = _device
	sbrain.optimizer = "sgd"
	sbrain.learning_rate = 0.1
	out["sgd_inputs"] = _flat_rows(x)
	out["sgd_targets"] = _flat_rows(y)
	out["sgd_before"] = _params(snet)
	out["sgd_loss"] = sbrain.step(x, y)
	out["sgd_after"] = _params(snet)
	out["sgd_trainer_optimizer"] = sbrain.trainer.optimizer.kind
	sbrain.free()
	brain.queue_free()
	out["step_errors"] = Array(_capture.take())


## fit_async() through the brain: signals on the main thread, in order; the result equals LKTrainer.fit().
func _fit_async(out: Dictionary) -> void:
	var net := _network(13)
	var brain := LKBrain.new()
	brain.network = net
	brain.device = _device
	brain.epochs = 5
	brain.batch_size = 8
	brain.seed = 3
	root.add_child(brain)
	var x := _grid(8)
	var y := _targets(x)
	var events := {"epochs": [], "losses": [], "progress": [], "finished": 0, "off_main": 0}
	var on_main := func() -> void:
		if OS.get_thread_caller_id() != _main_thread:
			events.off_main += 1
	brain.epoch_completed.connect(func(epoch: int, loss: float) -> void:
		(events.epochs as Array).append(epoch)
		(events.losses as Array).append(loss)
		on_main.call())
	brain.progress.connect(func(fraction: float) -> void:
		(events.progress as Array).append(fraction)
		on_main.call())
	brain.training_finished.connect(func(_h: LKHistory) -> void:
		events.finished += 1
		on_main.call())
	var job := brain.fit_async(x, y, {"epochs": 6})
	out["async_job_is_brain_job"] = job != null and brain.job == job
	var history: LKHistory = await brain.training_finished
	await process_frame
	out["async_events"] = events
	out["async_history_loss"] = Array(history.loss)
	out["async_params"] = _params(net)
	out["async_epochs_after"] = brain.epochs  # the option was for that fit only
	out["async_training_after"] = brain.training
	var ref := _network(13)
	var ref_history := LearnKit.trainer(ref, {"loss": "mse", "epochs": 6, "batch_size": 8, "seed": 3,
			"learning_rate": 0.001, "device": _device}).fit(x, y)
	out["async_ref_loss"] = Array(ref_history.loss)
	out["async_ref_params"] = _params(ref)
	brain.queue_free()
	await process_frame
	out["async_errors"] = Array(_capture.take())


## Freeing the node while its job runs: without a reference to the job (it is cancelled and joined), and with
## one (the job goes on, its own signals still arrive, the freed node's relay is detached).
func _free_while_running(out: Dictionary) -> void:
	var x := _grid(8)
	var y := _targets(x)
	var a := LKBrain.new()
	a.network = _network(14)
	a.device = _device
	a.epochs = 1000000
	root.add_child(a)
	a.fit_async(x, y)
	await process_frame
	a.queue_free()
	await process_frame
	await process_frame
	out["free_unheld_ok"] = true
	var b := LKBrain.new()
	b.network = _network(15)
	b.device = _device
	b.epochs = 1000000
	b.batch_size = 64
	root.add_child(b)
	var job := b.fit_async(x, y)
	var seen := [0]
	job.epoch_completed.connect(func(_e: int, _l: float) -> void: seen[0] += 1)
	await process_frame
	# While it runs: the brain refuses a second fit, a step and online steps, each with an error.
	out["busy_training_flag"] = b.training
	out["busy_second_null"] = b.fit_async(x, y) == null
	out["busy_step_nan"] = is_nan(b.step(x, y))
	b.remember(x[0], y[0])
	out["busy_online_nan"] = is_nan(b.train_online(1))
	out["busy_refusals"] = Array(_capture.take())
	b.free()
	for i in 5:
		await process_frame
	out["free_held_running"] = not job.done
	out["free_held_epochs_after_free"] = seen[0]
	job.cancel()
	var history: LKHistory = await job.finished
	out["free_held_finished"] = history != null and job.done
	out["free_errors"] = Array(_capture.take())


## Online learning in the scene: each frame the game remembers 4 new samples of f and the brain trains up to
## steps_per_frame steps from its replay buffer; stops when the grid's MSE is below 0.005 (or 600 frames).
func _online(brain: LKBrain, out: Dictionary) -> void:
	# A brain without a network (a script may set one later) skips its frames quietly.
	var lonely := LKBrain.new()
	lonely.online_learning = true
	lonely.remember([1.0, 2.0], [3.0])
	root.add_child(lonely)
	for i in 3:
		await process_frame
	out["lonely"] = {"steps": lonely.online_steps, "errors": Array(_capture.take())}
	lonely.free()
	var rng := RandomNumberGenerator.new()
	rng.seed = 5
	var grid := _grid(9)
	var want := _targets(grid)
	var signals := [0]
	brain.online_trained.connect(func(_steps: int, _loss: float) -> void: signals[0] += 1)
	out["online_mse_start"] = _mse(brain.predict(grid), want)
	out["online_steps_before"] = brain.online_steps  # online_learning is on from the scene file: buffer empty
	var frames := 0
	var mse := INF
	while frames < 600:
		for i in 4:
			var row := PackedFloat32Array([rng.randf_range(-1.0, 1.0), rng.randf_range(-1.0, 1.0)])
			brain.remember(row, _f(row))
		await process_frame
		frames += 1
		if frames % 10 == 0:
			mse = _mse(brain.predict(grid), want)
			if mse < 0.005:
				break
	brain.online_learning = false
	var steps_then := brain.online_steps
	await process_frame
	await process_frame
	out["online_frames"] = frames
	out["online_steps"] = steps_then
	out["online_steps_after_off"] = brain.online_steps
	out["online_signals"] = signals[0]
	out["online_buffer_size"] = brain.replay_buffer.size
	out["online_mse"] = mse
	out["online_grid"] = _flat_rows(grid)
	out["online_predict"] = _flat_rows(brain.predict(grid))
	out["online_params"] = _params(brain.network)
	out["online_errors"] = Array(_capture.take())


func _replay(out: Dictionary) -> void:
	var buf := LKReplayBuffer.new()
	buf.capacity = 5
	for i in 8:
		buf.add(PackedFloat32Array([i, -i]), float(i * 10))
	out["ring_size"] = buf.size
	out["ring_inputs"] = _flat_rows(buf.get_inputs())
	out["ring_targets"] = _flat_rows(buf.get_targets())
	var s1 := buf.sample(64, 42)
	var s2 := buf.sample(64, 42)
	out["sample_indices"] = Array(s1.indices)
	out["sample_same_seed_same"] = s1.indices == s2.indices and s1.inputs == s2.inputs
	out["sample_other_seed_differs"] = buf.sample(64, 43).indices != s1.indices
	out["sample_inputs"] = _flat_rows(s1.inputs)
	out["sample_targets"] = _flat_rows(s1.targets)
	buf.capacity = 3
	out["shrunk_inputs"] = _flat_rows(buf.get_inputs())
	buf.add_batch([[100, 101], [102, 103]], [[1.0], [2.0]])
	out["batch_inputs"] = _flat_rows(buf.get_inputs())
	var big := LKReplayBuffer.new()
	big.capacity = 10
	for i in 10:
		big.add([float(i)], [0.0])
	out["dist_indices"] = Array(big.sample(20000, 7).indices)
	buf.clear()
	out["cleared_size"] = buf.size
	out["after_clear_add"] = buf.add([1, 2, 3], [4, 5])
	out["after_clear_widths"] = [buf.input_size, buf.target_size]
	out["replay_stray_errors"] = Array(_capture.take())
	var bad: Dictionary = {}
	bad["add_nan"] = _try(func() -> Variant: return buf.add([1, NAN, 3], [4, 5]))
	bad["add_width"] = _try(func() -> Variant: return buf.add([1, 2], [4, 5]))
	bad["add_string"] = _try(func() -> Variant: return buf.add("abc", [4, 5]))
	bad["add_batch_ragged"] = _try(func() -> Variant: return buf.add_batch([[1, 2, 3]], [[1, 2], [3, 4]]))
	bad["capacity_zero"] = _try(func() -> Variant:
		buf.capacity = 0
		return buf.capacity)
	bad["sample_zero"] = _try(func() -> Variant: return buf.sample(0, 1))
	var empty := LKReplayBuffer.new()
	bad["sample_empty"] = _try(func() -> Variant: return empty.sample(4, 1))
	bad["size_after_bad"] = {"value": buf.size, "errors": []}
	out["replay_bad"] = bad


func _errors(out: Dictionary) -> void:
	var bad: Dictionary = {}
	var none := LKBrain.new()
	bad["predict_no_network"] = _try(func() -> Variant: return none.predict([[1.0, 2.0]]))
	bad["predict_one_no_network"] = _try(func() -> Variant: return none.predict_one([1.0, 2.0]))
	bad["step_no_network"] = _try(func() -> Variant: return none.step([[1.0, 2.0]], [[1.0]]))
	bad["fit_async_no_network"] = _try(func() -> Variant: return none.fit_async([[1.0, 2.0]], [[1.0]]))
	bad["train_online_empty"] = _try(func() -> Variant: return none.train_online(1))
	none.free()
	var brain := LKBrain.new()
	brain.network = _network(16)
	brain.device = _device
	bad["predict_one_width"] = _try(func() -> Variant: return brain.predict_one([1.0, 2.0, 3.0]))
	bad["predict_one_string"] = _try(func() -> Variant: return brain.predict_one("1, 2"))
	bad["predict_one_nan"] = _try(func() -> Variant: return brain.predict_one([1.0, NAN]))
	bad["remember_width"] = _try(func() -> Variant: return brain.remember([1.0, 2.0, 3.0], [1.0]))
	bad["remember_nan"] = _try(func() -> Variant: return brain.remember([1.0, 2.0], [NAN]))
	bad["step_ragged"] = _try(func() -> Variant: return brain.step([[1.0, 2.0]], [[1.0], [2.0]]))
	bad["fit_async_bad_epochs"] = _try(func() -> Variant: return brain.fit_async([[1.0, 2.0]], [[1.0]], {"epochs": -1}))
	bad["fit_async_unknown_option"] = _try(func() -> Variant: return brain.fit_async([[1.0, 2.0]], [[1.0]], {"validation": 0.2}))
	bad["train_online_zero"] = _try(func() -> Variant: return brain.train_online(0))
	bad["loss_unknown"] = _try(func() -> Variant:
		brain.loss = "l3"
		return brain.loss)
	bad["optimizer_unknown"] = _try(func() -> Variant:
		brain.optimizer = "adamm"
		return brain.optimizer)
	bad["device_unknown"] = _try(func() -> Variant:
		brain.device = "tpu"
		return brain.device)
	bad["batch_size_zero"] = _try(func() -> Variant:
		brain.batch_size = 0
		return brain.batch_size)
	bad["learning_rate_negative"] = _try(func() -> Variant:
		brain.learning_rate = -1.0
		return brain.learning_rate)
	bad["steps_per_frame_zero"] = _try(func() -> Variant:
		brain.steps_per_frame = 0
		return brain.steps_per_frame)
	bad["frame_budget_nan"] = _try(func() -> Variant:
		brain.frame_budget_ms = NAN
		return brain.frame_budget_ms)
	bad["network_wrong_class"] = _try(func() -> Variant:
		brain.set("network", LKReplayBuffer.new())
		return brain.network != null)
	brain.free()
	out["brain_bad"] = bad


func _mse(got: Array, want: Array) -> float:
	var total := 0.0
	for i in got.size():
		total += pow((got[i] as PackedFloat32Array)[0] - (want[i] as PackedFloat32Array)[0], 2.0)
	return total / got.size()
