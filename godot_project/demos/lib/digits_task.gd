extends "res://demos/lib/demo_task.gd"
## The digits demo's task: 8x8 handwritten digits (0..16 per pixel, scaled to 0..1) to 10 classes.
##
## Data: [code]res://demos/data/digits.txt[/code], the 1,797 digits scikit-learn ships (the test set of UCI's
## "Optical Recognition of Handwritten Digits", CC BY 4.0), written by [code]tools/make_digits_data.py[/code].
## 20% of them (a seeded shuffle) are held out for the test accuracy.

const DATA_PATH := "res://demos/data/digits.txt"
const SYMBOLS := "0123456789abcdefg"
## Side of the image in pixels, and the block size the 32x32 bitmaps were counted in.
const SIDE := 8
const BLOCK := 4

## Integer labels of the held-out rows, for the per-class report and the canvas test.
var test_labels := PackedInt32Array()


func _init() -> void:
	name = "digits"
	threshold = 97.0
	epochs = 20
	batch_size = 32
	lr_max = 1e-2
	lr_min = 1e-4
	seed = 7
	class_names = PackedStringArray(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
	var data := load_digits(DATA_PATH)
	if data.is_empty():
		return
	var split := LearnKit.data.train_test_split(data.inputs, LearnKit.data.one_hot(data.labels, 10), 0.2, seed)
	train_inputs = split.train_inputs
	train_targets = split.train_targets
	test_inputs = split.test_inputs
	test_targets = split.test_targets
	for row: PackedFloat32Array in test_targets:
		test_labels.append(argmax(row))


func make_network() -> LKNetwork:
	return LearnKit.sequential([
		LearnKit.dense(SIDE * SIDE, 128, "relu"),
		LearnKit.dropout(0.2),
		LearnKit.dense(128, 10, "softmax"),
	], "kaiming", seed)


## Reads the digits file: {inputs: Array of PackedFloat32Array (64 values in 0..1), labels: Array of int};
## empty after an error.
static func load_digits(path: String) -> Dictionary:
	var file := FileAccess.open(path, FileAccess.READ)
	if file == null:
		push_error("digits: cannot open %s (%s)" % [path, error_string(FileAccess.get_open_error())])
		return {}
	var inputs: Array = []
	var labels: Array = []
	while not file.eof_reached():
		var line := file.get_line().strip_edges()
		if line.is_empty() or line.begins_with("#"):
			continue
		if line.length() != 2 + SIDE * SIDE or line[1] != " ":
			push_error("digits: %s: bad line %d: expected a label, a space and 64 pixels" % [path, inputs.size()])
			return {}
		var row := PackedFloat32Array()
		row.resize(SIDE * SIDE)
		for i in SIDE * SIDE:
			row[i] = SYMBOLS.find(line[2 + i]) / 16.0
		inputs.append(row)
		labels.append(line.unicode_at(0) - 48)
	return {"inputs": inputs, "labels": labels}
