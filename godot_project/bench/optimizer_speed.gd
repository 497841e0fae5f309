## Cost of one training step of the 784-256-128-10 network (batch 128) per optimizer and schedule, on the CPU
## backend (or "gpu" with --gpu): fit() over 64 batches per epoch; prints "name: ms per step" (the best of
## five runs, interleaved so that a noisy machine penalises every configuration alike). Runs on builds
## without LearnKit.optimizer() too (only the Adam rows then): that measures the Adam step before a change.
##   tools/godot --headless -s res://bench/optimizer_speed.gd [-- --gpu]
extends SceneTree


func _init() -> void:
	var device := "gpu" if "--gpu" in OS.get_cmdline_user_args() else "cpu"
	var x := PackedFloat32Array()
	var y := PackedFloat32Array()
	var rows := 64 * 128
	x.resize(rows * 784)
	y.resize(rows * 10)
	for i in x.size():
		x[i] = randf()
	for r in rows:
		y[r * 10 + r % 10] = 1.0
	var configs: Array = [["adam", "constant"]]
	if LearnKit.has_method("optimizer"):
		configs += [["adam", "cosine"], ["adamw", "constant"], ["adamw", "cosine"], ["adamw", "cosine-per-step"],
				["nadam", "constant"], ["sgd-nesterov", "constant"]]
	var best := {}
	for run in 5:
		for cfg: Array in configs:
			var ms := _ms_per_step(device, cfg[0], cfg[1], x, y, rows)
			var key := "%s + %s" % cfg
			best[key] = minf(best.get(key, INF), ms)
	for key: String in best:
		print("%s: %.3f ms per step (%s)" % [key, best[key], device])
	quit(0)


func _ms_per_step(device: String, opt_name: String, sched: String, x: PackedFloat32Array, y: PackedFloat32Array,
		rows: int) -> float:
	var net := LearnKit.sequential([LearnKit.dense(784, 256, "relu"), LearnKit.dense(256, 128, "relu"),
			LearnKit.dense(128, 10, "softmax")], "kaiming", 1)
	net.device = device
	var opt: LKOptimizer = LearnKit.adam()
	if opt_name == "adamw":
		opt = LearnKit.call("optimizer", "adamw")
	elif opt_name == "nadam":
		opt = LearnKit.call("optimizer", "nadam")
	elif opt_name == "sgd-nesterov":
		opt = LearnKit.call("optimizer", "sgd", {"momentum": 0.9, "nesterov": true})
	var t := LearnKit.trainer(net, {"loss": "cce", "optimizer": opt, "batch_size": 128, "epochs": 2,
			"learning_rate": 1e-3, "shuffle": true})
	if sched == "cosine":
		t.schedule = LearnKit.cosine_schedule(1e-3, 2)
	elif sched == "cosine-per-step":
		t.schedule = LearnKit.call("schedule", "cosine", {"per_step": true})
	t.fit_flat(x, y, rows)  # warm-up (allocations, pipelines)
	var h := t.fit_flat(x, y, rows)
	return h.elapsed_ms / h.steps
