extends Control
## Curve: a network learns which side of y = x^3 + 2x^2 a point of [-4, 4]^2 lies on; its decision boundary is
## redrawn after every slice of training. When training ends, the whole 800 x 800 grid is scored.
## Headless report: [code]tools/godot --headless -s res://demos/report.gd -- curve[/code].

const CurveTask := preload("res://demos/lib/curve_task.gd")
const DemoSettings := preload("res://demos/lib/demo_settings.gd")
const TrainingPanel := preload("res://demos/lib/training_panel.gd")
const BoundaryView := preload("res://demos/lib/boundary_view.gd")

## Start training when the scene starts (false: the caller calls start()).
@export var autostart := true

var task: CurveTask

@onready var panel: TrainingPanel = %TrainingPanel
@onready var boundary: BoundaryView = %Boundary
@onready var _score: Label = %Score


func _ready() -> void:
	task = CurveTask.new()
	panel.title = "Curve"
	panel.epoch_trained.connect(func(_epoch: int) -> void: boundary.update_from(panel.training.network))
	panel.training_finished.connect(_on_finished)
	if autostart:
		start(DemoSettings.get_device())


## Trains a fresh network on [param device]; [param epochs] 0 means the task's own.
func start(device: String, epochs: int = 0) -> void:
	panel.start(task, device, epochs)
	boundary.update_from(panel.training.network)
	_score.text = "white: the true curve; orange: above, blue: below"


func _on_finished() -> void:
	var acc := task.accuracy(panel.training.network)
	_score.text = "%.2f%% of the 800 x 800 grid on the right side (threshold %.0f%%)" % [acc, task.threshold]
