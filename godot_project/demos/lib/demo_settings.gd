extends RefCounted
## Settings shared by the demo scenes for the whole run: the device the menu picked.
## Kept as Engine metadata so that it survives scene changes without an autoload.

const _KEY := &"learnkit_demo_device"


## "cpu" or "gpu": where the demos train. Defaults to the GPU when there is one.
static func get_device() -> String:
	if Engine.has_meta(_KEY):
		return Engine.get_meta(_KEY)
	return "gpu" if gpu_available() else "cpu"


static func set_device(device: String) -> void:
	if device == "gpu" and not gpu_available():
		push_error("demos: no GPU backend here (%s)" % LearnKit.get_device_info().get("gpu_unavailable_reason", "?"))
		return
	Engine.set_meta(_KEY, device)


static func gpu_available() -> bool:
	return LearnKit.get_device_info().get("gpu_available", false)


## One line naming the device that [param device] trains on.
static func describe(device: String) -> String:
	var info := LearnKit.get_device_info()
	if device == "gpu":
		return "GPU: %s" % info.get("gpu_name", "?")
	return "CPU: %s" % info.get("cpu_name", "?")
