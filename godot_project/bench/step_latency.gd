## Latency of one trainer.step() call (an NPC learning from each frame's experience), per device.
## Prints "device: ms per step()" and the GPU profile when LEARNKIT_PROFILE=ops.
extends SceneTree


func _init() -> void:
	var inputs: Array = []
	var targets: Array = []
	for i in 16:
		inputs.append(PackedFloat32Array([randf(), randf(), randf(), randf()]))
		targets.append(i % 3)
	var devices: Array[String] = ["cpu"]
	if LearnKit.get_device_info().gpu_available:
		devices.append("gpu")
	for device in devices:
		var network := LearnKit.nn.network([4, 32, 16, 3], device)
		var trainer := LearnKit.trainer(network, {"loss": "cce", "learning_rate": 1e-2})
		trainer.step(inputs, targets)
		var start := Time.get_ticks_usec()
		for i in 100:
			trainer.step(inputs, targets)
		print("%s: %.3f ms per step()" % [device, (Time.get_ticks_usec() - start) / 100000.0])
		start = Time.get_ticks_usec()
		for i in 100:
			network.predict(inputs)
		print("%s: %.3f ms per predict() of 16 rows" % [device, (Time.get_ticks_usec() - start) / 100000.0])
	quit(0)
