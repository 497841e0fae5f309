extends "res://demos/lib/demo_task.gd"
## The doodles demo's task: nine shapes drawn procedurally, with stroke noise, rotation, scale and position,
## rasterised to [constant SIDE] x [constant SIDE] pixels the way the drawing canvas rasterises the player's
## strokes. Training and held-out doodles come from different seeds.

const Strokes := preload("res://demos/lib/strokes.gd")

## The classes, in output order.
const SHAPES: PackedStringArray = ["circle", "square", "triangle", "star", "line", "zigzag", "spiral", "heart",
		"cross"]
## Side of the network's input image in pixels.
const SIDE := 16
## Pen radius in pixels of that image.
const PEN_RADIUS := 0.75

## Doodles per class for training, and held out.
var train_per_class := 200
var test_per_class := 60


func _init() -> void:
	name = "doodles"
	threshold = 95.0
	epochs = 15
	batch_size = 32
	lr_max = 5e-3
	lr_min = 1e-4
	seed = 11
	class_names = SHAPES
	_fill(train_inputs, train_targets, train_per_class, seed)
	_fill(test_inputs, test_targets, test_per_class, seed + 1000)


func make_network() -> LKNetwork:
	return LearnKit.sequential([
		LearnKit.dense(SIDE * SIDE, 96, "relu"),
		LearnKit.dropout(0.2),
		LearnKit.dense(96, SHAPES.size(), "softmax"),
	], "kaiming", seed)


## The network's input for strokes in [0, 1]^2 canvas coordinates: the drawing is first centred and scaled so
## that its longer side spans 80% of the image (as Quick, Draw! does), so that where and how large the player
## draws does not matter; only the shape does.
static func features(strokes: Array) -> PackedFloat32Array:
	return Strokes.rasterize(Strokes.fit_to_box(strokes, 0.8), SIDE, PEN_RADIUS)


## One doodle of class [param kind] (an index into [constant SHAPES]): strokes in [0, 1]^2, y down.
static func generate(kind: int, rng: RandomNumberGenerator) -> Array[PackedVector2Array]:
	var shape := _template(SHAPES[kind], rng)
	# Any angle for a line; other shapes stay roughly upright (an upside-down heart is no heart).
	var angle := rng.randf_range(-PI, PI) if SHAPES[kind] == "line" else rng.randf_range(-0.45, 0.45)
	var scale := rng.randf_range(0.5, 0.9)
	var stretch := Vector2(rng.randf_range(0.85, 1.15), rng.randf_range(0.85, 1.15))
	var offset := Vector2(rng.randf_range(-1.0, 1.0), rng.randf_range(-1.0, 1.0)) * (0.9 - scale) * 0.5
	var wobble_phase := rng.randf_range(0.0, TAU)
	var wobble := rng.randf_range(0.0, 0.06)
	var out: Array[PackedVector2Array] = []
	for stroke in shape:
		var points := PackedVector2Array()
		for p in _resample(stroke, 0.08):
			# Stroke noise: a slow wobble along the stroke plus a little jitter per point.
			var q := p + Vector2(sin(p.y * 3.0 + wobble_phase), cos(p.x * 3.0 + wobble_phase)) * wobble
			q += Vector2(rng.randfn(0.0, 0.015), rng.randfn(0.0, 0.015))
			q = (q * stretch).rotated(angle) * scale * 0.5 + offset
			points.append(q + Vector2(0.5, 0.5))
		out.append(points)
	return out


## A shape's strokes in [-1, 1]^2 (y down), before noise and transforms.
static func _template(shape: String, rng: RandomNumberGenerator) -> Array[PackedVector2Array]:
	var p := PackedVector2Array()
	match shape:
		"circle":
			var start := rng.randf_range(0.0, TAU)
			for i in 33:
				p.append(Vector2.from_angle(start + TAU * i / 32.0))
		"square":
			p = PackedVector2Array([Vector2(-1, -1), Vector2(1, -1), Vector2(1, 1), Vector2(-1, 1), Vector2(-1, -1)])
		"triangle":
			for i in 4:
				p.append(Vector2.from_angle(-PI / 2 + TAU * i / 3.0) * Vector2(1.0, 1.1) + Vector2(0, 0.2))
		"star":
			for i in 6:
				p.append(Vector2.from_angle(-PI / 2 + TAU * 2.0 * i / 5.0))
		"line":
			p = PackedVector2Array([Vector2(-1, 0), Vector2(1, 0)])
		"zigzag":
			var teeth := rng.randi_range(3, 5)
			for i in teeth + 1:
				p.append(Vector2(-1.0 + 2.0 * i / teeth, -0.45 if i % 2 == 0 else 0.45))
		"spiral":
			var turns := rng.randf_range(2.2, 3.0)
			for i in 61:
				var t := i / 60.0
				p.append(Vector2.from_angle(t * turns * TAU) * (0.1 + 0.9 * t))
		"heart":
			for i in 41:
				var t := TAU * i / 40.0
				var s := sin(t)
				p.append(Vector2(16.0 * s * s * s, -(13.0 * cos(t) - 5.0 * cos(2 * t) - 2.0 * cos(3 * t) - cos(4 * t)))
						/ 16.5 + Vector2(0, -0.1))
		"cross":
			return [PackedVector2Array([Vector2(-1, 0), Vector2(1, 0)]), PackedVector2Array([Vector2(0, -1), Vector2(0, 1)])]
	return [p]


## The polyline with points every [param spacing] (at least its own points), so noise bends long edges too.
static func _resample(stroke: PackedVector2Array, spacing: float) -> PackedVector2Array:
	var out := PackedVector2Array([stroke[0]])
	for i in range(1, stroke.size()):
		var n := maxi(1, ceili(stroke[i - 1].distance_to(stroke[i]) / spacing))
		for s in range(1, n + 1):
			out.append(stroke[i - 1].lerp(stroke[i], float(s) / n))
	return out


func _fill(inputs: Array, targets: Array, per_class: int, data_seed: int) -> void:
	var rng := RandomNumberGenerator.new()
	rng.seed = data_seed
	for i in per_class:
		for kind in SHAPES.size():
			inputs.append(features(generate(kind, rng)))
			var target := PackedFloat32Array()
			target.resize(SHAPES.size())
			target[kind] = 1.0
			targets.append(target)
