extends Control
## Doodles: a network learns nine shapes (circle, square, triangle, star, line, zigzag, spiral, heart, cross)
## from procedurally generated drawings, then classifies what the player draws, with live confidence bars.
## Headless report: [code]tools/godot --headless -s res://demos/report.gd -- doodles[/code].

const DoodlesTask := preload("res://demos/lib/doodles_task.gd")
const Strokes := preload("res://demos/lib/strokes.gd")
const DemoSettings := preload("res://demos/lib/demo_settings.gd")
const TrainingPanel := preload("res://demos/lib/training_panel.gd")
const DrawCanvas := preload("res://demos/lib/draw_canvas.gd")
const PredictionBars := preload("res://addons/learnkit/ui/prediction_bars.gd")

## Start training when the scene starts (false: the caller calls start()).
@export var autostart := true

var task: DoodlesTask
var _rng := RandomNumberGenerator.new()

@onready var panel: TrainingPanel = %TrainingPanel
@onready var canvas: DrawCanvas = %Canvas
@onready var bars: PredictionBars = %Bars
@onready var _preview: TextureRect = %Preview
@onready var _caption: Label = %Caption


func _ready() -> void:
	task = DoodlesTask.new()
	bars.class_names = task.class_names
	canvas.changed.connect(_predict)
	panel.epoch_trained.connect(func(_epoch: int) -> void: _predict())
	(%Clear as Button).pressed.connect(canvas.clear)
	(%Example as Button).pressed.connect(func() -> void: show_example(_rng.randi() % DoodlesTask.SHAPES.size()))
	panel.title = "Doodles"
	(%Help as Label).text = "Draw a shape: " + ", ".join(DoodlesTask.SHAPES)
	if autostart:
		start(DemoSettings.get_device())


## Trains a fresh network on [param device]; [param epochs] 0 means the task's own.
func start(device: String, epochs: int = 0) -> void:
	panel.start(task, device, epochs)
	show_example(7)


## Draws a freshly generated doodle of class [param kind] on the canvas.
func show_example(kind: int) -> void:
	canvas.set_strokes(DoodlesTask.generate(kind, _rng))
	_caption.text = "generated: %s" % DoodlesTask.SHAPES[kind]


func _predict() -> void:
	if canvas.is_empty() or panel.training == null:
		bars.clear()
		return
	var input := DoodlesTask.features(canvas.get_strokes())
	var out := panel.training.network.predict([input])
	if out.size() == 1:
		bars.set_probabilities(out[0])
	panel.view.show_input(input)
	_preview.texture = ImageTexture.create_from_image(Strokes.to_image(input, DoodlesTask.SIDE))
