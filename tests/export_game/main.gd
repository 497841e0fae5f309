extends Node
## The exported game's main scene: predicts with the network it holds (a resource) and with the same network
## loaded from a .lkm file, reads the data files test_export.py put under res://data/ (class folders of images,
## which an export holds only as imported textures, and CSV files), and prints the results for the test.

@export var brain: LKNetwork


func _ready() -> void:
	var result := {"layers": -1, "y": [], "lkm_y": []}
	if brain != null:
		var y: Array = brain.predict([[0.5, -1.0, 2.0]])
		result = {"layers": brain.layer_count, "y": Array(y[0]) if y.size() > 0 else []}
	# The same network as a binary model file, read from the game's .pck (export_presets.cfg includes *.lkm).
	var from_file := LearnKit.serialize.load("res://brain.lkm")
	if from_file != null:
		var y: Array = from_file.predict([[0.5, -1.0, 2.0]])
		result["lkm_y"] = Array(y[0]) if y.size() > 0 else []
	print("LK_PREDICTION ", JSON.stringify(result))
	if DirAccess.dir_exists_absolute("res://data"):
		print("LK_DATA ", JSON.stringify(_read_data()))
	get_tree().quit()


## Every data loader on the files of res://data/ (see test_export.py for what each file is).
func _read_data() -> Dictionary:
	return {
		"rgb": LearnKit.data.load_image_folder("res://data/shapes", {}),
		"gray": LearnKit.data.load_image_folder("res://data/shapes", {"channels": 1}),
		"vram": LearnKit.data.load_image_folder("res://data/vram", {}),
		"kept_csv": LearnKit.data.load_csv("res://data/kept.csv", {"label": "label"}),
		"translated_csv": LearnKit.data.load_csv("res://data/translated.csv", {"label": "label"}),
	}
