extends SceneTree
## Builds the game's content in the editor's place: saves a network as res://brain.tres and res://brain.lkm, the
## main scene with that network in main.gd's exported property, and the prediction the game must print
## (res://expected.json).
## Run: tools/godot --headless -s res://make_brain.gd (with LEARNKIT_PROJECT set to this project).


func _initialize() -> void:
	var net := LearnKit.sequential([LearnKit.dense(3, 4, "tanh"), LearnKit.dense(4, 2, "softmax")], "kaiming", 7)
	net.device = "cpu"
	var errors: Array[int] = [ResourceSaver.save(net, "res://brain.tres"), LearnKit.serialize.save(net, "res://brain.lkm")]
	var node := Node.new()
	node.name = "Main"
	node.set_script(load("res://main.gd"))
	node.set("brain", load("res://brain.tres"))
	var scene := PackedScene.new()
	errors.append(scene.pack(node))
	errors.append(ResourceSaver.save(scene, "res://main.tscn"))
	node.free()
	var y: Array = net.predict([[0.5, -1.0, 2.0]])
	var f := FileAccess.open("res://expected.json", FileAccess.WRITE)
	f.store_string(JSON.stringify({"layers": net.layer_count, "y": Array(y[0]), "errors": errors}))
	f.close()
	quit(0 if errors.max() == OK else 1)
