## Cost of a custom activation (LearnKit.register_activation) next to the built-in it copies: predict() of a
## standalone activation op on 1000 rows x 1000 values; prints "name: built-in ms, custom ms" (the best of five,
## interleaved so that a noisy machine penalises both alike). "identity" shows the cost of predict() itself
## (copying the rows in and out). CPU backend, or the GPU with --gpu.
##   tools/godot --headless -s res://bench/custom_activation_speed.gd [-- --gpu]
extends SceneTree

const PAIRS := [
	["gelu_tanh", "my_gelu_tanh", "x * lk_sigmoid(1.5957691 * lk_clamp(x, -10.0, 10.0) * (1.0 + 0.044715 * lk_clamp(x, -10.0, 10.0) * lk_clamp(x, -10.0, 10.0)))"],
	["silu", "my_silu", "x * lk_sigmoid(x)"],
	["identity", "my_identity", "x"],
]


func _network(act: String, device: String) -> LKNetwork:
	var net := LearnKit.network(1000)
	net.add_op("activation", {"activation": act}, [0])
	net.initialize()
	net.device = device
	return net


func _ms(net: LKNetwork, x: Array) -> float:
	var start := Time.get_ticks_usec()
	net.predict(x)
	return (Time.get_ticks_usec() - start) / 1000.0


func _init() -> void:
	var device := "gpu" if "--gpu" in OS.get_cmdline_user_args() else "cpu"
	var row := PackedFloat32Array()
	row.resize(1000)
	for i in 1000:
		row[i] = sin(i * 0.37) * 4.0
	var x: Array = []
	for r in 1000:
		x.append(row)
	for pair: Array in PAIRS:
		LearnKit.register_activation(pair[1], pair[2], "1.0")  # the derivative is not timed
		var nets: Array[LKNetwork] = [_network(pair[0], device), _network(pair[1], device)]
		var best: Array[float] = [1e9, 1e9]
		for net in nets:
			net.predict(x)  # warm-up: arenas, GPU pipelines
		for i in 5:
			for k in 2:
				best[k] = minf(best[k], _ms(nets[k], x))
		print("%s: built-in %.2f ms, custom %.2f ms (%s, 1e6 values)" % [pair[0], best[0], best[1], device])
	quit(0)
