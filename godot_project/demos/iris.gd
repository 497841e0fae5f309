extends Control
## Iris: 150 flowers, 4 measurements, 3 species. A small network learns them; the right side shows the
## confusion matrix and the per-class report on the 30 held-out flowers, and one flower's confidence bars.
## (The seed-API quick start on the same data is [code]res://demos/quickstart.gd[/code].)
## Headless report: [code]tools/godot --headless -s res://demos/report.gd -- iris[/code].

const IrisTask := preload("res://demos/lib/iris_task.gd")
const ClassReport := preload("res://demos/lib/class_report.gd")
const DemoSettings := preload("res://demos/lib/demo_settings.gd")
const TrainingPanel := preload("res://demos/lib/training_panel.gd")
const PredictionBars := preload("res://addons/learnkit/ui/prediction_bars.gd")

## Start training when the scene starts (false: the caller calls start()).
@export var autostart := true

var task: IrisTask

@onready var panel: TrainingPanel = %TrainingPanel
@onready var bars: PredictionBars = %Bars
@onready var _table: Label = %Table


func _ready() -> void:
	task = IrisTask.new()
	panel.title = "Iris"
	panel.slice_ms = 8.0
	bars.class_names = task.class_names
	panel.epoch_trained.connect(func(_epoch: int) -> void: _show_report())
	if autostart:
		start(DemoSettings.get_device())


## Trains a fresh network on [param device]; [param epochs] 0 means the task's own.
func start(device: String, epochs: int = 0) -> void:
	panel.start(task, device, epochs)
	_show_report()


func _show_report() -> void:
	var net := panel.training.network
	var c := ClassReport.confusion(net, task.test_inputs, task.test_targets, 3)
	_table.text = "held-out flowers\n" + "\n".join(ClassReport.format(c, task.class_names))
	var flower: PackedFloat32Array = task.test_inputs[0]
	var out := net.predict([flower])
	if out.size() == 1:
		bars.set_probabilities(out[0])
	panel.view.show_input(flower)
