extends SceneTree
## Renders every demo scene after a fixed amount of training and saves a screenshot of each (the README's
## pictures), with pixel statistics of the whole picture and of each widget's rectangle (for the tests).
## [codeblock]
## tools/godot -s res://demos/screenshots.gd                       # writes demos/screenshots/*.png
## tools/godot -s res://demos/screenshots.gd -- --out user://shots --stats user://shots/stats.json
## [/codeblock]
## Needs a display (tools/godot starts Xvfb when there is none): headless Godot renders nothing.
## Options: [code]--out DIR[/code] (default: [code]res://demos/screenshots[/code], which Godot does not import:
## it holds a .gdignore), [code]--stats PATH[/code] (JSON),
## [code]--device cpu|gpu[/code] (default cpu: the pictures do not depend on lavapipe's speed).

const DemoSettings := preload("res://demos/lib/demo_settings.gd")
## Window size the scenes are laid out in, and the size of the saved pictures.
const WINDOW := Vector2i(960, 600)
const PICTURE := Vector2i(640, 400)
## Each scene and how many epochs it trains before its picture.
const SHOTS: Array[Dictionary] = [
	{"name": "menu", "scene": "res://demos/menu.tscn", "epochs": 0},
	{"name": "digits", "scene": "res://demos/digits.tscn", "epochs": 20},
	{"name": "doodles", "scene": "res://demos/doodles.tscn", "epochs": 15},
	{"name": "curve", "scene": "res://demos/curve.tscn", "epochs": 30},
	{"name": "xor", "scene": "res://demos/xor.tscn", "epochs": 300},
	{"name": "iris", "scene": "res://demos/iris.tscn", "epochs": 150},
]


func _initialize() -> void:
	_main.call_deferred(OS.get_cmdline_user_args())


func _main(args: PackedStringArray) -> void:
	var out_dir := ProjectSettings.globalize_path("res://demos/screenshots")
	var stats_path := ""
	var device := "cpu"
	for i in args.size() - 1:
		match args[i]:
			"--out": out_dir = args[i + 1]
			"--stats": stats_path = args[i + 1]
			"--device": device = args[i + 1]
	if DisplayServer.get_name() == "headless":
		printerr("screenshots: headless Godot renders nothing: run without --headless (Xvfb is fine)")
		quit(1)
		return
	DirAccess.make_dir_recursive_absolute(out_dir)
	DisplayServer.window_set_size(WINDOW)
	root.size = WINDOW
	DemoSettings.set_device(device)
	var stats := {}
	for shot in SHOTS:
		var scene: Control = (load(shot.scene) as PackedScene).instantiate()
		if "autostart" in scene:
			scene.set("autostart", false)
		root.add_child(scene)
		await process_frame
		if shot.epochs > 0:
			scene.call("start", device, shot.epochs)
			var panel: Node = scene.get("panel")
			panel.call("set_running", false)
			panel.call("train_now", shot.epochs)
		for i in 3:
			await process_frame
		await RenderingServer.frame_post_draw
		var image := root.get_texture().get_image()
		var entry := {"size": [image.get_width(), image.get_height()], "image": _stats(image, Rect2i(Vector2i.ZERO,
				image.get_size()))}
		var widgets := {}
		for key in ["plot", "view", "bars", "canvas", "boundary"]:
			var control := _widget(scene, key)
			if control != null:
				widgets[key] = _stats(image, Rect2i(control.get_global_rect()))
		entry["widgets"] = widgets
		var picture := image.duplicate() as Image
		picture.resize(PICTURE.x, PICTURE.y, Image.INTERPOLATE_LANCZOS)
		_posterize(picture)
		var path := out_dir.path_join(shot.name + ".png")
		picture.save_png(path)
		entry["png"] = path
		stats[shot.name] = entry
		print("screenshot %s: %s (%d widgets)" % [shot.name, path, widgets.size()])
		scene.queue_free()
		await process_frame
	if stats_path != "":
		var f := FileAccess.open(stats_path, FileAccess.WRITE)
		f.store_string(JSON.stringify(stats, "  "))
	quit(0)


## Rounds each channel to 32 levels: the pictures stay sharp and compress to about half the size.
static func _posterize(image: Image) -> void:
	image.convert(Image.FORMAT_RGB8)
	var data := image.get_data()
	for i in data.size():
		data[i] = mini(255, data[i] + 4) & 0xf8
	image.set_data(image.get_width(), image.get_height(), false, image.get_format(), data)


## The scene's widget of that kind, if it has one.
func _widget(scene: Node, key: String) -> Control:
	var panel: Node = scene.get("panel")
	if key in ["plot", "view"]:
		return panel.get(key) as Control if panel != null else null
	return scene.get(key) as Control if key in scene else null


## Pixel statistics of [param rect] of [param image]: luminance mean and standard deviation, the share of
## pixels that differ from the rectangle's most common colour, and how many distinct colours (to 4 bits).
static func _stats(image: Image, rect: Rect2i) -> Dictionary:
	rect = rect.intersection(Rect2i(Vector2i.ZERO, image.get_size()))
	var counts := {}
	var total := 0
	var sum := 0.0
	var sum2 := 0.0
	for y in range(rect.position.y, rect.end.y, 2):
		for x in range(rect.position.x, rect.end.x, 2):
			var c := image.get_pixel(x, y)
			var key := (int(c.r * 15) << 8) | (int(c.g * 15) << 4) | int(c.b * 15)
			counts[key] = counts.get(key, 0) + 1
			var l := c.get_luminance()
			sum += l
			sum2 += l * l
			total += 1
	if total == 0:
		return {"pixels": 0, "mean": 0.0, "std": 0.0, "non_background": 0.0, "colors": 0}
	var most := 0
	for k: int in counts:
		most = maxi(most, counts[k])
	var mean := sum / total
	return {"pixels": total, "mean": mean, "std": sqrt(maxf(0.0, sum2 / total - mean * mean)),
			"non_background": 1.0 - float(most) / total, "colors": counts.size(),
			"rect": [rect.position.x, rect.position.y, rect.size.x, rect.size.y]}
