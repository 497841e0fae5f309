extends "res://demos/lib/demo_task.gd"
## The curve demo's task: is a point (x, y) of [-4, 4]^2 above or below y = x^3 + 2x^2?
##
## Training points are drawn uniformly from the square (seeded); the score is the share of an
## [constant GRID] x [constant GRID] grid of pixel centres classified correctly, the picture the demo draws.
## Inputs are scaled to [-1, 1] (x / 4, y / 4), the output is one sigmoid: the probability of "above".

## Half the side of the square.
const EXTENT := 4.0
## Side of the scoring grid in points.
const GRID := 800

## How many random training points.
var point_count := 4000


func _init() -> void:
	name = "curve"
	threshold = 99.0
	epochs = 30
	batch_size = 32
	lr_max = 1e-2
	lr_min = 2e-4
	seed = 3
	loss = "bce"
	class_names = PackedStringArray(["below", "above"])
	_sample(train_inputs, train_targets, point_count, seed)
	# Fresh points for the per-epoch validation curves (the score itself is the grid's).
	_sample(test_inputs, test_targets, 1000, seed + 1000)


func _sample(inputs: Array, targets: Array, count: int, data_seed: int) -> void:
	var rng := RandomNumberGenerator.new()
	rng.seed = data_seed
	for i in count:
		var x := rng.randf_range(-EXTENT, EXTENT)
		var y := rng.randf_range(-EXTENT, EXTENT)
		inputs.append(PackedFloat32Array([x / EXTENT, y / EXTENT]))
		targets.append(PackedFloat32Array([1.0 if is_above(x, y) else 0.0]))


## The ground truth: true when (x, y) lies above the curve.
static func is_above(x: float, y: float) -> bool:
	return y > x * x * x + 2.0 * x * x


func make_network() -> LKNetwork:
	return LearnKit.sequential([
		LearnKit.dense(2, 32, "tanh"),
		LearnKit.dense(32, 32, "tanh"),
		LearnKit.dense(32, 1, "sigmoid"),
	], "xavier", seed)


## Probabilities of "above" for a [param side] x [param side] grid of pixel centres over the square, row 0 at
## the top (y = +4), as one flat array (side * side values).
static func grid_probabilities(net: LKNetwork, side: int) -> PackedFloat32Array:
	var flat := PackedFloat32Array()
	flat.resize(side * side * 2)
	var k := 0
	for row in side:
		var y := 1.0 - (row + 0.5) * 2.0 / side
		for col in side:
			flat[k] = -1.0 + (col + 0.5) * 2.0 / side
			flat[k + 1] = y
			k += 2
	return net.predict_flat(flat, side * side)


## Share (percent) of the 800 x 800 grid classified correctly.
func accuracy(net: LKNetwork) -> float:
	var p := grid_probabilities(net, GRID)
	if p.size() != GRID * GRID:
		return 0.0
	var correct := 0
	var k := 0
	for row in GRID:
		var y := EXTENT - (row + 0.5) * 2.0 * EXTENT / GRID
		for col in GRID:
			var x := -EXTENT + (col + 0.5) * 2.0 * EXTENT / GRID
			if (p[k] > 0.5) == is_above(x, y):
				correct += 1
			k += 1
	return correct * 100.0 / (GRID * GRID)
