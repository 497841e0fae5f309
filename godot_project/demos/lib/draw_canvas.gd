extends Control
## A square canvas the player draws on with the mouse (left button draws, right button clears).
## Strokes are recorded in coordinates normalised to [0, 1]^2 (x right, y down) and turned into a network's
## input by [code]strokes.gd[/code]. Emits [signal changed] after every change.

## The drawing changed (a point added, a stroke started, or cleared).
signal changed

@export var background := Color(0.04, 0.04, 0.05)
@export var ink := Color(0.95, 0.95, 0.95)
## Pen width drawn on screen, as a share of the canvas side.
@export var pen_width := 0.07
## A hint drawn while the canvas is empty.
@export var hint := "draw here"

var _strokes: Array[PackedVector2Array] = []
var _drawing := false


func _init() -> void:
	custom_minimum_size = Vector2(160, 160)
	mouse_default_cursor_shape = Control.CURSOR_CROSS


func _notification(what: int) -> void:
	if what == NOTIFICATION_RESIZED:
		queue_redraw()


## The strokes drawn so far, each a polyline in [0, 1]^2.
func get_strokes() -> Array[PackedVector2Array]:
	return _strokes


## Replaces the drawing (e.g. to show an example).
func set_strokes(strokes: Array[PackedVector2Array]) -> void:
	_strokes = strokes.duplicate()
	queue_redraw()
	changed.emit()


func clear() -> void:
	_strokes.clear()
	_drawing = false
	queue_redraw()
	changed.emit()


func is_empty() -> bool:
	return _strokes.is_empty()


func _side() -> float:
	return minf(size.x, size.y)


func _to_canvas(local: Vector2) -> Vector2:
	return (local / _side()).clamp(Vector2.ZERO, Vector2.ONE)


func _gui_input(event: InputEvent) -> void:
	var button := event as InputEventMouseButton
	if button != null:
		if button.button_index == MOUSE_BUTTON_LEFT:
			_drawing = button.pressed
			if button.pressed:
				_strokes.append(PackedVector2Array([_to_canvas(button.position)]))
				queue_redraw()
				changed.emit()
		elif button.button_index == MOUSE_BUTTON_RIGHT and button.pressed:
			clear()
		accept_event()
		return
	var motion := event as InputEventMouseMotion
	if motion != null and _drawing and not _strokes.is_empty():
		_strokes[-1].append(_to_canvas(motion.position))
		queue_redraw()
		changed.emit()
		accept_event()


func _draw() -> void:
	var side := _side()
	draw_rect(Rect2(Vector2.ZERO, Vector2(side, side)), background)
	draw_rect(Rect2(Vector2.ZERO, Vector2(side, side)), Color(1, 1, 1, 0.25), false)
	if _strokes.is_empty() and hint != "":
		draw_string(get_theme_default_font(), Vector2(0, side * 0.5), hint, HORIZONTAL_ALIGNMENT_CENTER, side, 14,
				Color(1, 1, 1, 0.35))
	var width := maxf(1.0, pen_width * side)
	for stroke in _strokes:
		var points := PackedVector2Array()
		for p in stroke:
			points.append(p * side)
		if points.size() == 1:
			draw_circle(points[0], width * 0.5, ink)
		else:
			draw_polyline(points, ink, width, true)
			for p in [points[0], points[-1]]:
				draw_circle(p, width * 0.5, ink)
