@tool
class_name LKPredictionBars
extends Control
## A classifier's output as one bar per class, sorted by confidence, the top class highlighted.
## [codeblock]
## var bars := LKPredictionBars.new()
## bars.class_names = PackedStringArray(["cat", "dog", "bird"])
## bars.set_probabilities(net.predict([row])[0])
## [/codeblock]

## One name per output; an output without a name shows its index.
@export var class_names := PackedStringArray():
	set(value):
		class_names = value
		queue_redraw()
## Most rows shown (the rest, the least likely, are left out); 0 shows every class.
@export var max_rows := 0:
	set(value):
		max_rows = maxi(0, value)
		queue_redraw()
## Sort by confidence, highest first; false keeps the output order.
@export var sorted := true:
	set(value):
		sorted = value
		queue_redraw()
## Tallest row in pixels (rows share the height up to this).
@export var max_row_height := 34.0
@export var bar_color := Color(0.35, 0.5, 0.75)
@export var top_color := Color(1.0, 0.75, 0.25)
@export var background := Color(0.08, 0.09, 0.11)
@export var text_color := Color(0.85, 0.87, 0.9)

var _probabilities := PackedFloat32Array()


func _init() -> void:
	custom_minimum_size = Vector2(160, 100)
	clip_contents = true


func _notification(what: int) -> void:
	if what == NOTIFICATION_RESIZED:
		queue_redraw()


## Shows [param probabilities] (one per class, e.g. a softmax output row).
func set_probabilities(probabilities: PackedFloat32Array) -> void:
	_probabilities = probabilities.duplicate()
	queue_redraw()


## Shows no prediction.
func clear() -> void:
	_probabilities = PackedFloat32Array()
	queue_redraw()


## The class indices in display order (sorted when [member sorted]), at most [member max_rows].
func get_order() -> PackedInt32Array:
	var order: Array[int] = []
	for i in _probabilities.size():
		order.append(i)
	if sorted:
		order.sort_custom(func(a: int, b: int) -> bool: return _probabilities[a] > _probabilities[b])
	if max_rows > 0 and order.size() > max_rows:
		order.resize(max_rows)
	return PackedInt32Array(order)


## Index of the most likely class, or -1 when nothing is shown.
func get_top_class() -> int:
	var best := -1
	for i in _probabilities.size():
		if best < 0 or _probabilities[i] > _probabilities[best]:
			best = i
	return best


## Name of the most likely class ("" when nothing is shown).
func get_top_name() -> String:
	var top := get_top_class()
	return "" if top < 0 else _name(top)


func _name(i: int) -> String:
	return class_names[i] if i < class_names.size() else str(i)


func _draw() -> void:
	draw_rect(Rect2(Vector2.ZERO, size), background)
	var order := get_order()
	if order.is_empty():
		return
	var font := get_theme_default_font()
	var row_h := minf(size.y / order.size(), max_row_height)
	var font_size := clampi(int(row_h * 0.6), 8, 16)
	var name_w := 0.0
	for i in order:
		name_w = maxf(name_w, font.get_string_size(_name(i), HORIZONTAL_ALIGNMENT_LEFT, -1, font_size).x)
	var pct_w := font.get_string_size("100.0%", HORIZONTAL_ALIGNMENT_LEFT, -1, font_size).x
	var bar_x := name_w + 12.0
	var bar_w := maxf(size.x - bar_x - pct_w - 12.0, 4.0)
	var top := get_top_class()
	for r in order.size():
		var i := order[r]
		var p := clampf(_probabilities[i], 0.0, 1.0)
		var y := r * row_h
		var is_top := i == top
		var base := y + row_h * 0.5 + font_size * 0.35
		draw_string(font, Vector2(6, base), _name(i), HORIZONTAL_ALIGNMENT_LEFT, -1, font_size,
				top_color if is_top else text_color)
		draw_rect(Rect2(bar_x, y + row_h * 0.18, bar_w, row_h * 0.64), Color(1, 1, 1, 0.06))
		draw_rect(Rect2(bar_x, y + row_h * 0.18, bar_w * p, row_h * 0.64), top_color if is_top else bar_color)
		draw_string(font, Vector2(bar_x + bar_w + 6, base), "%.1f%%" % (p * 100.0), HORIZONTAL_ALIGNMENT_LEFT, -1,
				font_size, top_color if is_top else text_color)
