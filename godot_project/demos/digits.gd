extends Control
## The flagship demo: a network learns the 8x8 handwritten digits (live plot and network view), then reads
## what the player draws on the canvas, with live confidence bars.
##
## The canvas is turned into the network's input the way the UCI data were made: a 32x32 bitmap of the
## strokes, counted in 4x4 blocks (0..16 per pixel, scaled to 0..1). The drawing is first centred and scaled to
## fill the box's height, as NIST's preprocessing normalised the scanned digits.
## Headless report: [code]tools/godot --headless -s res://demos/report.gd -- digits[/code].

const DigitsTask := preload("res://demos/lib/digits_task.gd")
const Strokes := preload("res://demos/lib/strokes.gd")
const DemoSettings := preload("res://demos/lib/demo_settings.gd")
const TrainingPanel := preload("res://demos/lib/training_panel.gd")
const DrawCanvas := preload("res://demos/lib/draw_canvas.gd")
const PredictionBars := preload("res://addons/learnkit/ui/prediction_bars.gd")

## Side of the bitmap the strokes are drawn into, and of the network's input.
const BITMAP_SIDE := 32
## Pen radius in bitmap pixels when rasterising the strokes.
@export var pen_radius := 1.5
## Centre and scale the drawing before rasterising it (false: the canvas is the 32x32 box as it is).
@export var fit_drawing := true
## Start training when the scene starts (false: the caller calls start()).
@export var autostart := true

var task: DigitsTask
## The network's input now shown (the drawing's, or a test example's).
var current_input := PackedFloat32Array()

@onready var panel: TrainingPanel = %TrainingPanel
@onready var canvas: DrawCanvas = %Canvas
@onready var bars: PredictionBars = %Bars
@onready var _preview: TextureRect = %Preview
@onready var _caption: Label = %Caption


func _ready() -> void:
	task = DigitsTask.new()
	bars.class_names = task.class_names
	canvas.changed.connect(_on_drawing_changed)
	panel.epoch_trained.connect(func(_epoch: int) -> void: _predict())
	(%Clear as Button).pressed.connect(canvas.clear)
	(%Example as Button).pressed.connect(func() -> void: show_example(randi() % task.test_inputs.size()))
	panel.title = "Digits"
	if autostart:
		start(DemoSettings.get_device())


## Trains a fresh network on [param device]; [param epochs] 0 means the task's own.
func start(device: String, epochs: int = 0) -> void:
	panel.start(task, device, epochs)
	show_example(0)


## Shows held-out digit [param index] as the input (the canvas is cleared).
func show_example(index: int) -> void:
	canvas.set_strokes([])
	current_input = task.test_inputs[index]
	_caption.text = "held-out example: a %d" % task.test_labels[index]
	_predict()


## The network's input for the canvas' strokes.
func drawing_input() -> PackedFloat32Array:
	var strokes: Array = canvas.get_strokes()
	if fit_drawing:
		strokes = _fit_height(strokes)
	return Strokes.block_counts(Strokes.rasterize(strokes, BITMAP_SIDE, pen_radius), BITMAP_SIDE, 4)


func _on_drawing_changed() -> void:
	if canvas.is_empty():
		return
	current_input = drawing_input()
	_caption.text = "your drawing, as the network sees it"
	_predict()


func _predict() -> void:
	if current_input.is_empty() or panel.training == null:
		return
	var net := panel.training.network
	var out := net.predict([current_input])
	if out.size() == 1:
		bars.set_probabilities(out[0])
	panel.view.show_input(current_input)
	_preview.texture = ImageTexture.create_from_image(Strokes.to_image(current_input, 8))


## Strokes centred and scaled (aspect kept) so that their longer side, normally the height, fills the box
## less half a pen at each end.
func _fit_height(strokes: Array) -> Array:
	return Strokes.fit_to_box(strokes, 1.0 - 2.0 * pen_radius / BITMAP_SIDE)
