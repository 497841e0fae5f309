## Per-dispatch cost against the number of dispatches in one submit (tiny 16x16x16 dense forwards).
## Prints "n_dispatches us_per_dispatch" lines: flat means a fixed cost per dispatch, rising means the
## submit's cost grows faster than its length.
extends SceneTree


func _init() -> void:
	for repeats in [16, 64, 256, 1024, 4096]:
		var r := LearnKit.benchmark_gemm(16, 16, 16, repeats, "gpu")
		if r.is_empty():
			quit(1)
			return
		print("dispatches %5d: %8.2f us per dispatch" % [repeats, r.ms_per_call * 1000.0])
	quit(0)
