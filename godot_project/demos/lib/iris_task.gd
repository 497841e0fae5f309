extends "res://demos/lib/demo_task.gd"
## The iris demo's task with the modern API: 4 measurements of a flower to one of 3 species.
## (The seed quick start, [code]res://demos/quickstart.gd[/code], trains the same data with the seed API.)

const Quickstart := preload("res://demos/quickstart.gd")


func _init() -> void:
	name = "iris"
	threshold = 93.0
	epochs = 150
	batch_size = 16
	lr_max = 1e-2
	lr_min = 3e-4
	seed = 5
	class_names = PackedStringArray(["setosa", "versicolor", "virginica"])
	var iris := Quickstart.load_iris(Quickstart.IRIS_PATH)
	if iris.is_empty():
		return
	var split := LearnKit.data.train_test_split(iris.inputs, iris.targets, 0.2, seed)
	train_inputs = split.train_inputs
	train_targets = split.train_targets
	test_inputs = split.test_inputs
	test_targets = split.test_targets


func make_network() -> LKNetwork:
	return LearnKit.sequential([
		LearnKit.dense(4, 16, "relu"),
		LearnKit.dense(16, 3, "softmax"),
	], "kaiming", seed)
