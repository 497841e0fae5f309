extends Control
## The demo menu: pick the device (CPU or GPU) the demos train on, then launch one.
## [code]tools/godot res://demos/menu.tscn[/code]

const DemoSettings := preload("res://demos/lib/demo_settings.gd")

## Each demo: its scene and one line about it.
const DEMOS: Array[Dictionary] = [
	{"name": "Digits", "scene": "res://demos/digits.tscn",
			"about": "8x8 handwritten digits (UCI, CC BY 4.0), then draw your own"},
	{"name": "Doodles", "scene": "res://demos/doodles.tscn", "about": "nine generated shapes, then draw your own"},
	{"name": "Curve", "scene": "res://demos/curve.tscn", "about": "above or below y = x³ + 2x², the boundary live"},
	{"name": "XOR", "scene": "res://demos/xor.tscn", "about": "the smallest network, a line-by-line tutorial"},
	{"name": "Iris", "scene": "res://demos/iris.tscn", "about": "three species, confusion matrix and per-class report"},
]

@onready var _device: OptionButton = %Device
@onready var _device_name: Label = %DeviceName
@onready var _list: VBoxContainer = %List


func _ready() -> void:
	_device.add_item("CPU", 0)
	_device.add_item("GPU", 1)
	if not DemoSettings.gpu_available():
		_device.set_item_disabled(1, true)
		_device.set_item_text(1, "GPU (none: %s)" % LearnKit.get_device_info().get("gpu_unavailable_reason", "?"))
	_device.select(1 if DemoSettings.get_device() == "gpu" else 0)
	_device.item_selected.connect(func(index: int) -> void:
		DemoSettings.set_device("gpu" if index == 1 else "cpu")
		_show_device())
	_show_device()
	for demo in DEMOS:
		var row := HBoxContainer.new()
		var button := Button.new()
		button.text = demo.name
		button.custom_minimum_size = Vector2(120, 0)
		button.pressed.connect(func() -> void: get_tree().change_scene_to_file(demo.scene))
		var about := Label.new()
		about.text = demo.about
		row.add_child(button)
		row.add_child(about)
		_list.add_child(row)


func _show_device() -> void:
	_device_name.text = DemoSettings.describe(DemoSettings.get_device())
