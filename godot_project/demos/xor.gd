extends Control
## XOR, the smallest example: 2 inputs, 4 hidden neurons, 1 output. The tutorial is
## [code]res://demos/lib/xor_task.gd[/code], commented line by line; this scene shows it learning: the loss, the
## network and the truth table with the network's outputs.
## Headless report: [code]tools/godot --headless -s res://demos/report.gd -- xor[/code].

const XorTask := preload("res://demos/lib/xor_task.gd")
const DemoSettings := preload("res://demos/lib/demo_settings.gd")
const TrainingPanel := preload("res://demos/lib/training_panel.gd")

## Start training when the scene starts (false: the caller calls start()).
@export var autostart := true

var task: XorTask

@onready var panel: TrainingPanel = %TrainingPanel
@onready var _table: Label = %Table


func _ready() -> void:
	task = XorTask.new()
	panel.title = "XOR"
	panel.slice_ms = 8.0  # 300 tiny epochs: a few per frame, so that the curve grows visibly.
	panel.epoch_trained.connect(func(_epoch: int) -> void: _show_table())
	if autostart:
		start(DemoSettings.get_device())


## Trains a fresh network on [param device]; [param epochs] 0 means the task's own.
func start(device: String, epochs: int = 0) -> void:
	panel.start(task, device, epochs)
	_show_table()


func _show_table() -> void:
	var net := panel.training.network
	var outputs := net.predict(task.train_inputs)
	var lines := PackedStringArray(["a  b   a xor b   network"])
	for i in outputs.size():
		var x: PackedFloat32Array = task.train_inputs[i]
		var out: float = outputs[i][0] if outputs.size() == task.train_inputs.size() else NAN
		lines.append("%d  %d   %d         %.3f %s" % [x[0], x[1], task.train_targets[i][0], out,
				"ok" if (out > 0.5) == (task.train_targets[i][0] > 0.5) else "wrong"])
	panel.view.show_input(task.train_inputs[1])
	_table.text = "\n".join(lines) + "\n\nnetwork view: live for input (0, 1)"
