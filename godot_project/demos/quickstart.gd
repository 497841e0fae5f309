extends SceneTree
## LearnKit's flagship demo: the seed quick start on Fisher's iris data set, on every backend this machine has.
##
## Trains a 4-32-16-3 network (ReLU hidden layers, softmax output, cross-entropy, Adam with gradient clipping
## and a cosine learning-rate schedule) on 80% of the 150 flowers, first on the CPU backend, then on the GPU
## backend when [code]LearnKit.get_device_info()["gpu_available"][/code] is true. For each it prints train and
## test accuracy, the training time and the device that ran it, and checks that the model survives an
## export/import round trip.
## [codeblock]
## tools/godot -s res://demos/quickstart.gd              # CPU, then GPU (Vulkan)
## tools/godot --headless -s res://demos/quickstart.gd   # CPU only: headless Godot has no RenderingDevice
## [/codeblock]
## Exit code: 0 on success; 1 when a backend's test accuracy is below 93%, the data cannot be read or a script
## error stopped the demo.
## A script run with [code]-s[/code] is the SceneTree itself, so it ends with [code]quit(code)[/code] (what
## [code]get_tree().quit(code)[/code] does from a node).

## The data set: 150 rows of sepal_length, sepal_width, petal_length, petal_width, label (0, 1 or 2).
const IRIS_PATH := "res://demos/data/iris.csv"
## Test accuracy (percent) below which the demo fails.
const MIN_TEST_ACCURACY := 93.0


func _initialize() -> void:
	# NOTE: a function stopped by a script error returns its type's default (false), so a script error fails too.
	quit(0 if _main() else 1)


## Runs the demo; true when every backend passed.
func _main() -> bool:
	var iris := load_iris(IRIS_PATH)
	if iris.is_empty():
		return false
	var info := LearnKit.get_device_info()
	var has_gpu: bool = info.get("gpu_available", false)
	print("LearnKit quick start on iris: %d flowers, 4 features, 3 species" % (iris.inputs as Array).size())
	print("CPU: %s" % info.get("cpu_name", "?"))
	if has_gpu:
		print("GPU: %s (%s)" % [info.get("gpu_name", "?"), info.get("gpu_vendor", "?")])
	else:
		print("GPU: none (%s)" % info.get("gpu_unavailable_reason", "no RenderingDevice"))
	var devices: Array[String] = ["cpu"]
	if has_gpu:
		devices.append("gpu")
	var passed := true
	for device in devices:
		var r := run_seed(iris.inputs, iris.targets, device)
		print("[%s] train accuracy %.1f%%, test accuracy %.1f%% (after export/import %.1f%%), training %.0f ms on %s: %s"
				% [device, r.train_accuracy, r.test_accuracy, r.imported_test_accuracy, r.time_ms, r.backend,
				r.device_name])
		if r.backend != device:
			printerr("[%s] asked for the %s backend but LearnKit reports that %s ran it" % [device, device, r.backend])
			passed = false
		if r.test_accuracy < MIN_TEST_ACCURACY:
			printerr("[%s] test accuracy %.1f%% is below %.0f%%" % [device, r.test_accuracy, MIN_TEST_ACCURACY])
			passed = false
		if not is_equal_approx(r.test_accuracy, r.imported_test_accuracy):
			printerr("[%s] the imported model scores differently: %.1f%% vs %.1f%%"
					% [device, r.imported_test_accuracy, r.test_accuracy])
			passed = false
	print("quick start: %s" % ("OK" if passed else "FAILED"))
	return passed


## The seed quick start on [param device] ("cpu" or "gpu"), unchanged but for the line that picks the device
## and the extra measurements.
## Returns accuracies in percent, the time train() reported and the backend and device that ran it.
static func run_seed(inputs: Array, targets: Array, device: String) -> Dictionary:
	var network := LearnKit.nn.network([4, 32, 16, 3], null, LearnKit.ActivationType.RELU, LearnKit.ActivationType.SOFTMAX, LearnKit.WeightInitialization.KAIMING)
	var trainer := LearnKit.nn.trainer(network, null, LearnKit.LossFunction.CCE, 1e-2, 0, 300, 16, LearnKit.nn.schedular.cosine(1e-2, 300, 3e-4), LearnKit.nn.optimizer(true, 1.0))
	network.device = device  # The trainer follows its network's device unless trainer.device is set.
	var split := LearnKit.data.train_test_split(inputs, targets, 0.2)
	var time := trainer.train(split.train_inputs, split.train_targets)   # elapsed ms
	var info := LearnKit.get_device_info()
	var train_acc := LearnKit.evaluate.evaluate_model_soft_max(network, split.train_inputs, split.train_targets) * 100.0
	var test_acc := LearnKit.evaluate.evaluate_model_soft_max(network, split.test_inputs, split.test_targets) * 100.0
	LearnKit.serialize.export(network, "user://model.json")
	network = LearnKit.serialize.import("user://model.json")
	var imported_test_acc := -1.0
	if network != null:
		network.device = device
		imported_test_acc = LearnKit.evaluate.evaluate_model_soft_max(network, split.test_inputs,
				split.test_targets) * 100.0
	return {"train_accuracy": train_acc, "test_accuracy": test_acc, "imported_test_accuracy": imported_test_acc,
			"time_ms": time, "backend": info.get("last_backend", ""), "device_name": info.get("last_device", ""),
			"train_rows": split.train_inputs.size(), "test_rows": split.test_inputs.size()}


## Reads the iris CSV: {"inputs": Array of PackedFloat32Array (4 features), "targets": Array of one-hot
## PackedFloat32Array (3 classes), "labels": Array of int}; empty (after a push_error) when it cannot.
static func load_iris(path: String) -> Dictionary:
	var file := FileAccess.open(path, FileAccess.READ)
	if file == null:
		push_error("quickstart: cannot open %s (%s)" % [path, error_string(FileAccess.get_open_error())])
		return {}
	var header := file.get_csv_line()
	if header != PackedStringArray(["sepal_length", "sepal_width", "petal_length", "petal_width", "label"]):
		push_error("quickstart: %s has the header %s, expected sepal_length,...,label" % [path, header])
		return {}
	var inputs: Array = []
	var labels: Array = []
	while not file.eof_reached():
		var fields := file.get_csv_line()
		if fields.size() == 1 and fields[0].strip_edges().is_empty():
			continue  # The blank line at the end of the file.
		if fields.size() != 5:
			push_error("quickstart: %s: row %d has %d fields, expected 5" % [path, inputs.size() + 2, fields.size()])
			return {}
		var row := PackedFloat32Array()
		for i in 4:
			row.append(fields[i].to_float())
		inputs.append(row)
		labels.append(fields[4].to_int())
	return {"inputs": inputs, "targets": LearnKit.data.one_hot(labels, 3), "labels": labels}
