## LKBrain's per-frame costs on the CPU, for the issue's game: an 8-32-32-2 network, batch 32.
## - online learning: 100 frames of one online step each (train_online(1): what a frame of online learning runs),
##   from a replay buffer of 1024 pairs;
## - predict for 100 agents: predict() of an Array of 100 rows, predict_flat() of 800 floats, 100 predict_one();
## - one step() of 32 rows as Arrays and step_flat() of the same rows.
## Each figure is the median of 7 rounds, in microseconds per call. Methods the library lacks (an older build)
## print "n/a", so the same script measures before and after a change:
##   tools/godot --headless -s res://bench/brain_speed.gd
extends SceneTree

const ROUNDS := 7
const AGENTS := 100


func _initialize() -> void:
	_run.call_deferred()


func _run() -> void:
	var net := LearnKit.sequential([LearnKit.dense(8, 32, "relu"), LearnKit.dense(32, 32, "relu"),
			LearnKit.dense(32, 2)], "kaiming", 1)
	net.device = "cpu"
	var brain := LKBrain.new()
	brain.network = net
	brain.device = "cpu"
	brain.batch_size = 32
	brain.replay_capacity = 1024
	root.add_child(brain)
	var rng := RandomNumberGenerator.new()
	rng.seed = 1
	var rows: Array = []
	var flat := PackedFloat32Array()
	for i in 1024:
		var row := PackedFloat32Array()
		for k in 8:
			row.append(rng.randf_range(-1.0, 1.0))
		brain.remember(row, PackedFloat32Array([row[0] - row[1], row[2] * row[3]]))
		if i < AGENTS:
			rows.append(row)
			flat.append_array(row)
	var batch: Array = rows.slice(0, 32)
	var batch_flat := flat.slice(0, 32 * 8)
	var targets: Array = []
	var targets_flat := PackedFloat32Array()
	for row: PackedFloat32Array in batch:
		targets.append(PackedFloat32Array([row[0] - row[1], row[2] * row[3]]))
		targets_flat.append_array(targets[-1])
	brain.train_online(5)  # warm: the trainer and its session exist before timing
	print("LKBrain, 8-32-32-2 on the CPU, median of %d rounds (us per call)" % ROUNDS)
	_report("online step, batch 32 (train_online(1))", func() -> void: brain.train_online(1), 100)
	_report("predict(), 100 agents (Array of rows)", func() -> void: brain.predict(rows), 100)
	if brain.has_method("predict_flat"):
		_report("predict_flat(), 100 agents", func() -> void: brain.call("predict_flat", flat, AGENTS), 100)
	else:
		print("  predict_flat(), 100 agents: n/a")
	_report("100 x predict_one()", func() -> void:
		for row: PackedFloat32Array in rows:
			brain.predict_one(row), 10)
	_report("step(), 32 rows as Arrays", func() -> void: brain.step(batch, targets), 100)
	if brain.has_method("step_flat"):
		_report("step_flat(), 32 rows", func() -> void: brain.call("step_flat", batch_flat, targets_flat, 32), 100)
	else:
		print("  step_flat(), 32 rows: n/a")
	# Real frames: online learning in the process notification, one step a frame.
	brain.steps_per_frame = 1
	brain.online_learning = true
	var before := brain.online_steps
	var start := Time.get_ticks_usec()
	for i in 100:
		await process_frame
	print("  100 frames with online learning: %d steps, %.1f ms of wall time" % [brain.online_steps - before,
			(Time.get_ticks_usec() - start) / 1000.0])
	quit(0)


## Runs call `calls` times per round; prints the median round's microseconds per call.
func _report(label: String, call: Callable, calls: int) -> void:
	var per_call: Array[float] = []
	for r in ROUNDS:
		var start := Time.get_ticks_usec()
		for i in calls:
			call.call()
		per_call.append(float(Time.get_ticks_usec() - start) / calls)
	per_call.sort()
	print("  %s: %.1f" % [label, per_call[ROUNDS / 2]])
