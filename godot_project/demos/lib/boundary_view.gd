extends Control
## The curve demo's picture: the network's decision over [-4, 4]^2 as an image (blue below, orange above,
## mixed where unsure) with the true curve y = x^3 + 2x^2 drawn over it.

const CurveTask := preload("res://demos/lib/curve_task.gd")

## Resolution of the image in points per side (the score uses 800; the picture needs less).
@export var resolution := 96
@export var below_color := Color(0.2, 0.45, 0.85)
@export var above_color := Color(0.95, 0.6, 0.2)
@export var curve_color := Color(1, 1, 1)

var _texture: ImageTexture


func _init() -> void:
	custom_minimum_size = Vector2(200, 200)


func _notification(what: int) -> void:
	if what == NOTIFICATION_RESIZED:
		queue_redraw()


## Recomputes the picture from [param net] (one predict of resolution^2 rows).
func update_from(net: LKNetwork) -> void:
	var p := CurveTask.grid_probabilities(net, resolution)
	if p.size() != resolution * resolution:
		return
	var image := Image.create(resolution, resolution, false, Image.FORMAT_RGB8)
	for row in resolution:
		for col in resolution:
			image.set_pixel(col, row, below_color.lerp(above_color, p[row * resolution + col]))
	if _texture == null or _texture.get_size() != Vector2(resolution, resolution):
		_texture = ImageTexture.create_from_image(image)
	else:
		_texture.update(image)
	queue_redraw()


func _draw() -> void:
	var side := minf(size.x, size.y)
	var box := Rect2(Vector2.ZERO, Vector2(side, side))
	if _texture != null:
		draw_texture_rect(_texture, box, false)
	else:
		draw_rect(box, Color(0.1, 0.1, 0.12))
	# The true curve, from x = -4 to 4, clipped to the square.
	var points := PackedVector2Array()
	for i in 401:
		var x := -CurveTask.EXTENT + 2.0 * CurveTask.EXTENT * i / 400.0
		var y := x * x * x + 2.0 * x * x
		if absf(y) <= CurveTask.EXTENT:
			points.append(Vector2((x + CurveTask.EXTENT) / (2.0 * CurveTask.EXTENT) * side,
					(CurveTask.EXTENT - y) / (2.0 * CurveTask.EXTENT) * side))
		elif points.size() > 1:
			draw_polyline(points, curve_color, 2.0, true)
			points.clear()
		else:
			points.clear()
	if points.size() > 1:
		draw_polyline(points, curve_color, 2.0, true)
	draw_rect(box, Color(1, 1, 1, 0.4), false)
