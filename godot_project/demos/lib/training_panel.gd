extends VBoxContainer
## The left half of every demo: a header (title, device, pause, restart, menu), the live training plot, the
## network view and a status line. It trains a task in slices of [member slice_ms] per frame.
## [codeblock]
## $TrainingPanel.start(task, "cpu")   # then it trains by itself, one slice per frame
## $TrainingPanel.train_now(10)        # or synchronously (screenshots, tests)
## [/codeblock]

## After each slice of training (one or more epochs).
signal epoch_trained(epoch: int)
## When the last epoch is done.
signal training_finished

const SlicedTraining := preload("res://demos/lib/sliced_training.gd")
const DemoTask := preload("res://demos/lib/demo_task.gd")
const DemoSettings := preload("res://demos/lib/demo_settings.gd")
const TrainingPlot := preload("res://addons/learnkit/ui/training_plot.gd")
const NetworkView := preload("res://addons/learnkit/ui/network_view.gd")

## Time spent training per frame, in milliseconds (at least one epoch runs).
@export var slice_ms := 30.0
## Title shown in the header.
@export var title := "Demo":
	set(value):
		title = value
		if is_node_ready():
			_title.text = value

var training: SlicedTraining
var running := false

@onready var plot: TrainingPlot = $Plot
@onready var view: NetworkView = $View
@onready var _title: Label = $Header/Title
@onready var _device: Label = $Header/Device
@onready var _pause: Button = $Header/Pause
@onready var _status: Label = $Status

var _task: DemoTask
var _device_name := ""


func _ready() -> void:
	_title.text = title
	_pause.pressed.connect(func() -> void: set_running(not running))
	($Header/Restart as Button).pressed.connect(func() -> void: start(_task, _device_name))
	($Header/Menu as Button).pressed.connect(func() -> void: get_tree().change_scene_to_file("res://demos/menu.tscn"))


## Starts training [param task] from scratch on [param device] ("cpu" or "gpu") for its own epochs (or
## [param epochs]).
func start(task: DemoTask, device: String, epochs: int = 0) -> void:
	_task = task
	_device_name = device
	training = SlicedTraining.new(task, device, epochs)
	plot.clear()
	plot.connect_trainer(training.trainer)
	view.network = training.network
	# One sigmoid output is the probability of the second class ("above", "1").
	var names := task.class_names
	view.output_names = names.slice(1) if names.size() == 2 and training.network.output_size == 1 else names
	_device.text = DemoSettings.describe(device)
	set_running(true)
	_update_status()


func set_running(on: bool) -> void:
	running = on and training != null and not training.is_done()
	_pause.text = "Pause" if running else ("Done" if training != null and training.is_done() else "Resume")
	_pause.disabled = training == null or training.is_done()


## Trains [param epochs] epochs now, in this frame (for screenshots and tests).
func train_now(epochs: int) -> void:
	for i in epochs:
		if not _train_slice(0.0):
			break


func _process(_delta: float) -> void:
	if running:
		_train_slice(slice_ms)


func _train_slice(budget_ms: float) -> bool:
	if training == null or training.is_done():
		return false
	if training.step_for(budget_ms) == 0:
		push_error("%s: training failed" % title)
		set_running(false)
		return false
	var m := _task.held_out_metrics(training.network)
	plot.add_point("held-out loss", m.loss)
	plot.add_point("held-out accuracy", m.accuracy, true)
	view.refresh()
	_update_status()
	epoch_trained.emit(training.epoch)
	if training.is_done():
		set_running(false)
		training_finished.emit()
	return true


func _update_status() -> void:
	var acc := plot.get_values("held-out accuracy")
	_status.text = "epoch %d / %d   %.0f ms training   held-out accuracy %s" % [training.epoch,
			training.total_epochs, training.train_ms, "%.1f%%" % (acc[-1] * 100.0) if not acc.is_empty() else "-"]
