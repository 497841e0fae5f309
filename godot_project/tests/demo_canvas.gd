extends SceneTree
## Drives the digits demo's drawing canvas with synthetic mouse events (tests/test_demos.py).
##
## Trains the digits network (CPU, the task's own epochs), then "draws" held-out digits: each digit's 8x8
## counts are turned back into a 32x32 bitmap (in each 4x4 block, as many pixels on as the count says) and
## that bitmap is drawn with the mouse, one press-drag-release per run of pixels in a row, with a pen of one
## bitmap pixel and the drawing's fitting off, so the canvas must rebuild the digit exactly.
## [codeblock]
## tools/godot --headless -s res://tests/demo_canvas.gd -- --out user://canvas.json [--count 10]
## [/codeblock]
## Writes {digits: [{index, label, top, exact, predicted_from_data}], canvas_rect} as JSON.

const DIGITS_SCENE := "res://demos/digits.tscn"
const SIDE := 32


func _initialize() -> void:
	_main.call_deferred(OS.get_cmdline_user_args())


func _main(args: PackedStringArray) -> void:
	var out_path := ""
	var count := 10
	for i in args.size() - 1:
		if args[i] == "--out":
			out_path = args[i + 1]
		elif args[i] == "--count":
			count = args[i + 1].to_int()
	root.size = Vector2i(960, 600)
	var scene: Control = (load(DIGITS_SCENE) as PackedScene).instantiate()
	scene.set("autostart", false)
	root.add_child(scene)
	await process_frame
	scene.call("start", "cpu")
	var panel: Node = scene.get("panel")
	panel.call("set_running", false)
	panel.call("train_now", 1000)  # Until its own epochs are done.
	await process_frame
	var task: RefCounted = scene.get("task")
	var canvas: Control = scene.get("canvas")
	var bars: Control = scene.get("bars")
	var net: LKNetwork = panel.get("training").network
	var results := {"digits": [], "canvas_rect": [canvas.get_global_rect().position.x,
			canvas.get_global_rect().position.y, canvas.size.x, canvas.size.y]}
	scene.set("fit_drawing", false)
	scene.set("pen_radius", 0.5)  # Only the pixel under the pointer.
	for index in count:
		var row: PackedFloat32Array = task.get("test_inputs")[index]
		var label: int = task.get("test_labels")[index]
		canvas.call("clear")
		_draw_bitmap(canvas, _bitmap(row))
		await process_frame
		var drawn: PackedFloat32Array = scene.get("current_input")
		var from_data: PackedFloat32Array = net.predict([row])[0]
		(results.digits as Array).append({"index": index, "label": label, "top": bars.call("get_top_class"),
				"exact": drawn == row, "predicted_from_data": _argmax(from_data)})
	var text := JSON.stringify(results, "  ")
	print(text)
	if out_path != "":
		FileAccess.open(out_path, FileAccess.WRITE).store_string(text)
	quit(0)


## A 32x32 bitmap whose 4x4 block counts are the digit's pixels (0..16 each, given as count / 16).
static func _bitmap(row: PackedFloat32Array) -> PackedByteArray:
	var bitmap := PackedByteArray()
	bitmap.resize(SIDE * SIDE)
	for by in 8:
		for bx in 8:
			var on := roundi(row[by * 8 + bx] * 16.0)
			for k in on:
				bitmap[(by * 4 + k / 4) * SIDE + bx * 4 + k % 4] = 1
	return bitmap


## Draws the bitmap's "on" pixels with the mouse: a press at the start of each run in a row, a motion to
## every further pixel of the run, a release at its end.
func _draw_bitmap(canvas: Control, bitmap: PackedByteArray) -> void:
	var origin := canvas.get_global_rect().position
	var side := minf(canvas.size.x, canvas.size.y)
	for y in SIDE:
		var x := 0
		while x < SIDE:
			if bitmap[y * SIDE + x] == 0:
				x += 1
				continue
			_button(origin + Vector2(x + 0.5, y + 0.5) / SIDE * side, true)
			while x + 1 < SIDE and bitmap[y * SIDE + x + 1] == 1:
				x += 1
				var motion := InputEventMouseMotion.new()
				motion.position = origin + Vector2(x + 0.5, y + 0.5) / SIDE * side
				motion.global_position = motion.position
				motion.button_mask = MOUSE_BUTTON_MASK_LEFT
				root.push_input(motion)
			_button(origin + Vector2(x + 0.5, y + 0.5) / SIDE * side, false)
			x += 1


func _button(at: Vector2, pressed: bool) -> void:
	var event := InputEventMouseButton.new()
	event.button_index = MOUSE_BUTTON_LEFT
	event.pressed = pressed
	event.position = at
	event.global_position = at
	root.push_input(event)


static func _argmax(row: PackedFloat32Array) -> int:
	var best := 0
	for i in range(1, row.size()):
		if row[i] > row[best]:
			best = i
	return best
