extends "res://demos/lib/demo_task.gd"
## XOR, the smallest example, as a tutorial: every line says what it does and why.
##
## XOR outputs 1 when exactly one of its two inputs is 1. No straight line separates those two points from the
## other two, so a network without a hidden layer cannot learn it; one small hidden layer can.
## Run it alone: [code]tools/godot --headless -s res://demos/report.gd -- xor[/code].
## [codeblock]
## var task := XorTask.new()
## var net := task.make_network()
## task.make_trainer(net, "cpu", task.epochs).fit(task.train_inputs, task.train_targets)
## print(net.predict([PackedFloat32Array([1, 0])]))   # [[0.99...]]
## [/codeblock]


func _init() -> void:
	name = "xor"              # The name the report and the menu use.
	threshold = 100.0         # Four rows: anything short of all four right is a failure.
	epochs = 300              # An epoch is one pass over the data; with 4 rows that is one step each.
	batch_size = 4            # All four rows in every step: the gradient is exact, not a sample.
	lr_max = 5e-2             # Adam's step size at the start; a tiny problem tolerates a large one...
	lr_min = 5e-3             # ...and the cosine schedule lowers it to this by the last epoch.
	seed = 1                  # Same seed, same initial weights, same result on every run and backend.
	loss = "bce"              # Binary cross-entropy: the loss for one yes/no output read as a probability.
	class_names = PackedStringArray(["0", "1"])
	# The whole truth table: each input row is a PackedFloat32Array of the two bits...
	train_inputs = [
		PackedFloat32Array([0, 0]),
		PackedFloat32Array([0, 1]),
		PackedFloat32Array([1, 0]),
		PackedFloat32Array([1, 1]),
	]
	# ...and each target row holds the one output we want for it.
	train_targets = [
		PackedFloat32Array([0]),
		PackedFloat32Array([1]),
		PackedFloat32Array([1]),
		PackedFloat32Array([0]),
	]
	# There is nothing to hold out: XOR is tested on the same four rows it learns.
	test_inputs = train_inputs
	test_targets = train_targets


func make_network() -> LKNetwork:
	return LearnKit.sequential([
		LearnKit.dense(2, 4, "tanh"),      # 2 inputs to 4 hidden neurons; tanh bends the space so XOR separates.
		LearnKit.dense(4, 1, "sigmoid"),   # 4 hidden to 1 output; sigmoid squashes it to a probability in 0..1.
	], "xavier", seed)                     # Xavier initialisation suits tanh; the seed fixes the weights.


## Percent of the four rows whose output, rounded at 0.5, is the XOR of the inputs.
func accuracy(net: LKNetwork) -> float:
	var outputs := net.predict(test_inputs)   # One PackedFloat32Array per input row.
	var correct := 0
	for i in outputs.size():
		# Round the probability and compare it with the target bit.
		if (outputs[i][0] > 0.5) == (test_targets[i][0] > 0.5):
			correct += 1
	return correct * 100.0 / outputs.size()
