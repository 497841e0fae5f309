## Speed figures of LearnKit's backends, printed as one JSON line prefixed with "LEARNKIT_BENCH " (read by
## tools/bench_speed.py, which adds PyTorch's figures). A benchmark, not a test: it reports and never fails.
## Arguments after "--": --gemm 1024,4096 --devices gpu,cpu --quick
extends SceneTree


func _init() -> void:
	var args := OS.get_cmdline_user_args()
	var gemm_sizes: Array[int] = [1024, 4096]
	var devices: Array[String] = ["gpu", "cpu"]
	var quick := false
	for i in args.size():
		if args[i] == "--gemm" and i + 1 < args.size():
			gemm_sizes.clear()
			for s in args[i + 1].split(","):
				gemm_sizes.append(int(s))
		elif args[i] == "--devices" and i + 1 < args.size():
			devices.clear()
			for s in args[i + 1].split(","):
				devices.append(s)
		elif args[i] == "--quick":
			quick = true
	var info := LearnKit.get_device_info()
	if not info.gpu_available:
		devices.erase("gpu")
	var report := {"device_info": info, "gemm": [], "train": []}
	for n in gemm_sizes:
		for device in devices:
			if device == "cpu" and n > 1024:
				continue  # minutes on one core; the CPU path is for small models
			var repeats := 3 if device == "cpu" else clampi(int(2.0e12 / (2.0 * n * n * n)), 5, 200)
			var r := LearnKit.benchmark_gemm(n, n, n, repeats, device)
			r["n"] = n
			report.gemm.append(r)
	var nets := [
		{"name": "4-32-16-3", "sizes": [4, 32, 16, 3], "batch": 16},
		{"name": "784-256-128-10", "sizes": [784, 256, 128, 10], "batch": 128},
	]
	for spec: Dictionary in nets:
		for device in devices:
			report.train.append(_train(spec, device, quick))
	print("LEARNKIT_BENCH " + JSON.stringify(report))
	quit(0)


## Times fit_flat on synthetic data after a warm-up fit (pipelines, uploads): per-step figures.
func _train(spec: Dictionary, device: String, quick: bool) -> Dictionary:
	var sizes: Array = spec.sizes
	var batch: int = spec.batch
	var rows := batch * 64
	var inputs := PackedFloat32Array()
	inputs.resize(rows * int(sizes[0]))
	var targets := PackedFloat32Array()
	targets.resize(rows * int(sizes[-1]))
	var rng := RandomNumberGenerator.new()
	rng.seed = 1
	for i in inputs.size():
		inputs[i] = rng.randf_range(-1.0, 1.0)
	for r in rows:
		targets[r * int(sizes[-1]) + rng.randi_range(0, int(sizes[-1]) - 1)] = 1.0
	var network := LearnKit.nn.network(sizes, device, LearnKit.ActivationType.RELU, LearnKit.ActivationType.SOFTMAX)
	var trainer := LearnKit.trainer(network, {"loss": "cce", "optimizer": "adam", "learning_rate": 1e-3,
		"batch_size": batch, "epochs": 1, "device": device})
	trainer.fit_flat(inputs, targets, rows)  # warm-up
	trainer.epochs = 2 if quick else 8
	if OS.get_environment("LEARNKIT_PROFILE") == "1":
		print("timed fit of ", spec.name, " starts")
	var h := trainer.fit_flat(inputs, targets, rows)
	return {
		"net": spec.name, "batch": batch, "device": device, "backend": h.backend, "device_name": h.device_name,
		"steps": h.steps, "submits": h.submits, "readbacks": h.readbacks,
		"ms_per_step": h.elapsed_ms / h.steps, "record_ms_per_step": h.record_ms / h.steps,
		"steps_per_submit": float(h.steps) / maxf(h.submits, 1), "readbacks_per_step": float(h.readbacks) / h.steps,
	}
