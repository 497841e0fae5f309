extends "res://tests/brain_check.gd"
## LKBrain's process_callback, flat calls and foreign jobs in a real scene loop (tests/test_brain_modes.py):
## - "idle" / "physics" / "manual": which frames online learning runs in (Engine.is_in_physics_frame() at each
##   online_trained, counted against SceneTree's process_frame and physics_frame), the node's processing flags,
##   the property saved in a PackedScene; physics-frame training gives the numbers of LKTrainer.step() on
##   LKReplayBuffer.sample(batch_size, n) for step n (seed 0), bit for bit;
## - predict_flat / step_flat / add_flat next to predict / step / add_batch;
## - a job started on brain.trainer directly: no error while it runs, `training` true, online learning paused,
##   step()/train_online() one error each, predict() answers; learning resumes after the job.
## Writes one JSON object to --out; --device picks the backend ("cpu" or "gpu").

var _counts := {"process": 0, "physics": 0}


func _run() -> void:
	_device = _option("--device")
	process_frame.connect(func() -> void: _counts.process += 1)
	physics_frame.connect(func() -> void: _counts.physics += 1)
	# Few physics ticks against uncapped process frames: the two kinds of frame differ in number.
	Engine.physics_ticks_per_second = 20
	var out: Dictionary = {"device": _device}
	await _callbacks(out)
	_flat(out)
	await _foreign_job(out)
	out["stray_errors"] = Array(_capture.take())
	finish(out)


## One mode: `frames` process frames with online learning on; what ran where.
## At least `frames` process frames and `physics_ticks` physics ticks (a fast GPU machine draws many frames per
## 60 Hz tick: on an H200, 20 frames took less than one tick).
func _watch(brain: LKBrain, frames: int, physics_ticks: int = 0) -> Dictionary:
	var events := {"physics": 0, "idle": 0}
	var on_trained := func(_steps: int, _loss: float) -> void:
		if Engine.is_in_physics_frame():
			events.physics += 1
		else:
			events.idle += 1
	brain.online_trained.connect(on_trained)
	var steps_before := brain.online_steps
	var p0: int = _counts.process
	var f0: int = _counts.physics
	var waited := 0
	while waited < frames or (_counts.physics - f0 < physics_ticks and waited < 5000):
		await process_frame
		waited += 1
	brain.online_trained.disconnect(on_trained)
	return {"trained_in_physics": events.physics, "trained_in_idle": events.idle,
			"process_frames": _counts.process - p0, "physics_frames": _counts.physics - f0,
			"steps": brain.online_steps - steps_before, "processing": brain.is_processing(),
			"physics_processing": brain.is_physics_processing(), "errors": Array(_capture.take())}


func _callbacks(out: Dictionary) -> void:
	var net := _network(21)
	var twin := net.duplicate() as LKNetwork  # the starting parameters, for the Array-path twin
	var brain := _brain(net)
	out["default_callback"] = brain.process_callback
	for prop: Dictionary in ClassDB.class_get_property_list("LKBrain", true):
		if prop.name == "process_callback":
			out["callback_property"] = {"hint": prop.hint == PROPERTY_HINT_ENUM, "hint_string": prop.hint_string,
					"editor": (prop.usage & PROPERTY_USAGE_EDITOR) != 0,
					"storage": (prop.usage & PROPERTY_USAGE_STORAGE) != 0}
	brain.process_callback = "physics"
	brain.online_learning = true
	root.add_child(brain)
	# Physics: every online step in a physics frame, one per physics tick (steps_per_frame 1).
	out["physics"] = await _watch(brain, 150, 8)
	# The same steps with the Array path: LKTrainer.step() on the buffer's sample for step n (brain.seed 0 makes
	# step n's seed n); same settings, a copy of the starting network.
	brain.online_learning = false
	var steps := brain.online_steps
	var trainer := LearnKit.trainer(twin, {"loss": "mse", "learning_rate": 0.001, "device": _device})
	for n in steps:
		var batch := brain.replay_buffer.sample(brain.batch_size, n)
		trainer.step(batch.inputs, batch.targets)
	out["physics_steps"] = steps
	out["physics_params_equal_trainer"] = _params(net) == _params(twin)
	out["physics_params_changed"] = _params(net) != _params(_network(21))
	# Manual: frames train nothing; train_online(3) runs 3 steps now.
	brain.process_callback = "manual"
	brain.online_learning = true
	out["manual"] = await _watch(brain, 20, 3)
	var before := brain.online_steps
	var loss := brain.train_online(3)
	out["manual_call"] = {"steps": brain.online_steps - before, "loss_finite": is_finite(loss),
			"errors": Array(_capture.take())}
	# Idle: process frames only.
	brain.process_callback = "idle"
	out["idle"] = await _watch(brain, 30)
	# Off: neither.
	brain.online_learning = false
	out["off"] = await _watch(brain, 10)
	# Stored: a scene saved with "physics" comes back with it.
	brain.process_callback = "physics"
	var holder := Node.new()
	var saved := LKBrain.new()
	saved.name = "Brain"
	saved.process_callback = "physics"
	holder.add_child(saved)
	saved.owner = holder
	var scene := PackedScene.new()
	scene.pack(holder)
	var copy := scene.instantiate()
	out["stored_callback"] = (copy.get_node("Brain") as LKBrain).process_callback
	copy.free()
	holder.free()
	# A script extending LKBrain keeps its own _process when online learning is switched off.
	var script := GDScript.new()
	script.source_code = "extends LKBrain\nvar ticks := 0\nfunc _process(_delta: float) -> void:\n\tticks += 1\n"
	script.reload()
	var scripted := _brain(_network(24))
	scripted.set_script(script)
	root.add_child(scripted)
	scripted.online_learning = true
	await process_frame
	scripted.online_learning = false
	var ticks: int = scripted.get("ticks")
	for i in 5:
		await process_frame
	out["script_process_ticks"] = int(scripted.get("ticks")) - ticks
	scripted.queue_free()
	# Bad value: an error naming the property; the value stays.
	brain.process_callback = "late"
	out["bad_callback"] = {"value": brain.process_callback, "errors": Array(_capture.take())}
	brain.queue_free()
	await process_frame


## The flat calls against their Array twins: the same losses, parameters and predictions.
func _flat(out: Dictionary) -> void:
	var x := _grid(4)
	var y := _targets(x)
	var xf := PackedFloat32Array()
	var yf := PackedFloat32Array()
	for i in x.size():
		xf.append_array(x[i])
		yf.append_array(y[i])
	var a := _brain(_network(22))
	var b := _brain(_network(22))
	var la: Array = []
	var lb: Array = []
	for k in 3:
		la.append(a.step(x, y))
		lb.append(b.step_flat(xf, yf, x.size()))
	out["flat_step_loss"] = la
	out["flat_step_flat_loss"] = lb
	out["flat_params_equal"] = _params(a.network) == _params(b.network)
	out["flat_last_loss"] = b.last_loss
	out["flat_predict"] = Array(b.predict_flat(xf, x.size()))
	out["flat_predict_rows"] = _flat_rows(b.predict(x))
	out["flat_inputs"] = Array(xf)
	out["flat_params"] = _params(b.network)
	var buf1 := LKReplayBuffer.new()
	var buf2 := LKReplayBuffer.new()
	buf1.add_batch(x, y)
	out["add_flat_ok"] = buf2.add_flat(xf, yf, x.size())
	out["add_flat_same"] = buf1.get_inputs() == buf2.get_inputs() and buf1.get_targets() == buf2.get_targets() \
			and buf1.sample(40, 9).inputs == buf2.sample(40, 9).inputs
	out["flat_errors"] = Array(_capture.take())
	var bad := {}
	bad["step_flat_rows_zero"] = _try(func() -> Variant: return b.step_flat(xf, yf, 0))
	bad["step_flat_short"] = _try(func() -> Variant: return b.step_flat(xf.slice(1), yf, x.size()))
	bad["step_flat_targets_short"] = _try(func() -> Variant: return b.step_flat(xf, yf.slice(1), x.size()))
	var nan_x := xf.duplicate()
	nan_x[3] = NAN
	bad["step_flat_nan"] = _try(func() -> Variant: return b.step_flat(nan_x, yf, x.size()))
	bad["predict_flat_short"] = _try(func() -> Variant: return b.predict_flat(xf.slice(1), x.size()))
	bad["predict_flat_rows_zero"] = _try(func() -> Variant: return b.predict_flat(xf, 0))
	var none := LKBrain.new()
	bad["predict_flat_no_network"] = _try(func() -> Variant: return none.predict_flat(xf, x.size()))
	bad["step_flat_no_network"] = _try(func() -> Variant: return none.step_flat(xf, yf, x.size()))
	none.free()
	bad["add_flat_rows_zero"] = _try(func() -> Variant: return buf2.add_flat(xf, yf, 0))
	bad["add_flat_ragged"] = _try(func() -> Variant: return buf2.add_flat(xf.slice(1), yf, x.size()))
	bad["add_flat_nan"] = _try(func() -> Variant: return buf2.add_flat(nan_x, yf, x.size()))
	bad["add_flat_width"] = _try(func() -> Variant: return buf2.add_flat(xf, yf, x.size() / 2))
	bad["remember_target_width"] = _try(func() -> Variant: return b.remember([0.5, 0.5], [1.0, 2.0]))
	bad["remember_target_number_width"] = _try(func() -> Variant:
		var wide := LKBrain.new()
		wide.network = LearnKit.sequential([LearnKit.dense(2, 3)])
		var result := wide.remember([0.5, 0.5], 1.0)
		wide.free()
		return result)
	out["flat_bad"] = bad
	out["remember_size_after_bad"] = b.replay_buffer.size
	out["flat_params_after_bad"] = _params(b.network) == out["flat_params"]
	out["add_flat_size_after_bad"] = buf2.size
	a.free()
	b.free()


## A job started on brain.trainer by the game, not by brain.fit_async().
func _foreign_job(out: Dictionary) -> void:
	var brain := _brain(_network(23))
	brain.online_learning = true
	root.add_child(brain)
	for i in 5:
		await process_frame
	var x := _grid(8)
	var y := _targets(x)
	out["foreign_steps_before_job"] = brain.online_steps
	brain.trainer.epochs = 1000000
	var job := brain.trainer.fit_async(x, y)
	out["foreign_job_started"] = job != null
	var steps := brain.online_steps
	var frames := 0
	var training_all := true
	while frames < 20:
		await process_frame
		frames += 1
		training_all = training_all and brain.training
	out["foreign_running"] = not job.done
	out["foreign_training"] = training_all
	out["foreign_brain_job_null"] = brain.job == null
	out["foreign_steps_while"] = brain.online_steps - steps
	out["foreign_frame_errors"] = Array(_capture.take())
	out["foreign_predict"] = _try(func() -> Variant: return brain.predict(x).size())
	out["foreign_step"] = _try(func() -> Variant: return brain.step(x, y))
	out["foreign_step_flat"] = _try(func() -> Variant:
		return brain.step_flat(PackedFloat32Array([0.5, 0.5]), PackedFloat32Array([0.1]), 1))
	out["foreign_train_online"] = _try(func() -> Variant: return brain.train_online(1))
	out["foreign_fit_async"] = _try(func() -> Variant: return brain.fit_async(x, y))
	job.cancel()
	await job.finished
	steps = brain.online_steps
	for i in 10:
		await process_frame
	out["foreign_training_after"] = brain.training
	out["foreign_steps_after"] = brain.online_steps - steps
	out["foreign_errors_after"] = Array(_capture.take())
	brain.queue_free()
	await process_frame


## A brain on a 2-8-1 tanh network, batch 8, one online step per frame, with 64 samples of f remembered.
func _brain(net: LKNetwork) -> LKBrain:
	var brain := LKBrain.new()
	brain.network = net
	brain.device = _device
	brain.batch_size = 8
	brain.steps_per_frame = 1
	brain.frame_budget_ms = 1000.0
	var rng := RandomNumberGenerator.new()
	rng.seed = 3
	for i in 64:
		var row := PackedFloat32Array([rng.randf_range(-1.0, 1.0), rng.randf_range(-1.0, 1.0)])
		brain.remember(row, _f(row))
	return brain
